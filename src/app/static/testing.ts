/** Test support: reads a multipart/byteranges body back into its parts. */

export interface BytePart {
  /** Part fields, names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** The boundary parameter of a multipart content type, or null. */
export function boundaryOf(contentType: string | null): string | null {
  const match = /^multipart\/byteranges;\s*boundary=("?)([^";]+)\1$/i.exec(contentType ?? "");
  return match === null ? null : match[2];
}

/**
 * Splits a multipart body strictly: it must start with the first delimiter, parts must be
 * separated by CRLF + delimiter, and it must end with the close delimiter and CRLF.
 */
export function parseByteranges(body: Uint8Array, boundary: string): BytePart[] {
  const text = latin1(body);
  const delimiter = `--${boundary}`;
  if (!text.startsWith(`${delimiter}\r\n`)) throw new Error("body does not start with the delimiter");
  const close = `\r\n${delimiter}--\r\n`;
  if (!text.endsWith(close)) throw new Error("body does not end with the close delimiter");
  const inner = text.slice(delimiter.length + 2, text.length - close.length);
  return inner.split(`\r\n${delimiter}\r\n`).map((part) => {
    const headEnd = part.indexOf("\r\n\r\n");
    if (headEnd < 0) throw new Error("part without a blank line");
    const headers: Record<string, string> = {};
    for (const line of part.slice(0, headEnd).split("\r\n")) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const content = part.slice(headEnd + 4);
    const bytes = new Uint8Array(content.length);
    for (let i = 0; i < content.length; i++) bytes[i] = content.charCodeAt(i);
    return { headers, body: bytes };
  });
}

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}
