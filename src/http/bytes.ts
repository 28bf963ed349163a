/** Byte-array helpers shared by the writer, the bodies and the in-process client. */

/** The parts one after another in one new array (`total`: their summed length, when the caller already knows it). */
export function joinBytes(
  parts: readonly Uint8Array[],
  total = parts.reduce((n, part) => n + part.length, 0),
): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
