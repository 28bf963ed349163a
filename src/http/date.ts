/**
 * The `date` header line, formatted at most once per second (RFC 9110 §6.6.1 requires it on
 * every response from a server with a clock; formatting it per response is measurable).
 */
const encoder = new TextEncoder();

let cachedSecond = -1;
let cachedLine: Uint8Array = new Uint8Array(0);

/** "date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" for the current second, as bytes. */
export function dateLine(nowMs: number): Uint8Array {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedLine = encoder.encode(`date: ${new Date(second * 1000).toUTCString()}\r\n`);
  }
  return cachedLine;
}
