/**
 * Byte-class tables for the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112 §3).
 *
 * Each table has 256 entries so that a lookup never needs a bounds check:
 * `TOKEN[byte] === 1` means the byte may appear in a token.
 */

function table(accept: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accept(b) ? 1 : 0;
  return t;
}

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isAlpha = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isVisible = (b: number) => b >= 0x21 && b <= 0x7e;

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
export const TOKEN: Uint8Array = table((b) =>
  isDigit(b) || isAlpha(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b))
);

/**
 * Bytes accepted in a request-target: visible ASCII except "#".
 *
 * RFC 3986 also excludes `"<>\^`{|}`, but browsers send some of them raw in query
 * strings; none of them can change how a message is framed, so they are let through
 * to the application, which sees the target exactly as sent. Controls, spaces,
 * non-ASCII bytes and fragments are refused.
 */
export const TARGET: Uint8Array = table((b) => isVisible(b) && b !== 0x23);

/**
 * field-vchar / SP / HTAB: VCHAR, obs-text (0x80–0xFF), space and tab.
 * CR, LF, NUL and every other control byte are refused (RFC 9110 §5.5).
 */
export const FIELD_VALUE: Uint8Array = table((b) => isVisible(b) || b >= 0x80 || b === 0x20 || b === 0x09);

/** Hexadecimal digit value plus one (0 means "not a hex digit"). */
export const HEX_VALUE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d + 1;
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = d + 11;
    t[0x61 + d] = d + 11;
  }
  return t;
})();

/** unreserved / sub-delims / "%": the characters of a reg-name (RFC 3986 §3.2.2). */
export const REG_NAME: Uint8Array = table((b) =>
  isDigit(b) || isAlpha(b) || "-._~!$&'()*+,;=%".includes(String.fromCharCode(b))
);

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
