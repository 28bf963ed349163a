/**
 * Response header fields, validated and encoded once.
 *
 * A handler that sends the same headers on every response builds its HeaderBlock once
 * (prebuilt bytes are several times cheaper than encoding strings per response).
 * Plain arrays and records are turned into a HeaderBlock per response.
 *
 * The response writer owns message framing, so `content-length`, `transfer-encoding`,
 * `connection` and `keep-alive` never pass through as bytes:
 *  - `connection: close` asks the driver to close after this response;
 *  - `content-length` is used for a response without content (a HEAD answer), where it
 *    states the length the content would have had, and for a stream body of known
 *    length (a file), which is then sent with content-length instead of chunked.
 */
import { TOKEN } from "./chars.ts";
import { splitList } from "./fields.ts";

export type HeaderInit =
  | HeaderBlock
  | ReadonlyArray<readonly [string, string]>
  | Readonly<Record<string, string>>;

export class InvalidHeaderError extends Error {
  override name = "InvalidHeaderError";
}

export class HeaderBlock {
  /** Encoded "name: value\r\n" lines, framing fields excluded. */
  readonly bytes: Uint8Array;
  /** Whether a `date` field is present (the writer then adds none). */
  readonly hasDate: boolean;
  /** Whether `connection: close` was asked for. */
  readonly close: boolean;
  /** A declared content-length for content-less responses, or -1. */
  readonly contentLength: number;
  /** The fields as given (lowercased names), for middleware that inspects them. */
  readonly entries: ReadonlyArray<readonly [string, string]>;

  static readonly EMPTY: HeaderBlock = new HeaderBlock([]);

  constructor(fields: Iterable<readonly [string, string]>) {
    const entries: [string, string][] = [];
    let text = "";
    let hasDate = false;
    let close = false;
    let contentLength = -1;
    for (const [rawName, value] of fields) {
      const name = rawName.toLowerCase();
      assertFieldName(name);
      assertFieldValue(name, value);
      entries.push([name, value]);
      switch (name) {
        case "connection":
          close ||= splitList(value).includes("close");
          continue;
        case "content-length":
          if (!/^[0-9]{1,15}$/.test(value)) throw new InvalidHeaderError("content-length must be digits");
          contentLength = Number(value);
          continue;
        case "transfer-encoding":
        case "keep-alive":
          continue;
        case "date":
          hasDate = true;
      }
      text += `${name}: ${value}\r\n`;
    }
    this.bytes = latin1Bytes(text);
    this.hasDate = hasDate;
    this.close = close;
    this.contentLength = contentLength;
    this.entries = entries;
  }

  static from(init: HeaderInit | undefined): HeaderBlock {
    if (init === undefined) return HeaderBlock.EMPTY;
    if (init instanceof HeaderBlock) return init;
    return new HeaderBlock(Array.isArray(init) ? init : Object.entries(init));
  }

  /** The first value of `name`, or null. */
  get(name: string): string | null {
    const key = name.toLowerCase();
    for (const [n, v] of this.entries) if (n === key) return v;
    return null;
  }

  /** A new block with `fields` appended. */
  with(fields: Iterable<readonly [string, string]>): HeaderBlock {
    return new HeaderBlock([...this.entries, ...fields]);
  }
}

/** Framing fields the writer decides alone; never copied from handlers or middleware. */
export const FRAMING_FIELDS: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
]);

export function assertFieldName(name: string): void {
  if (name.length === 0) throw new InvalidHeaderError("empty header name");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) throw new InvalidHeaderError(`invalid header name: ${JSON.stringify(name)}`);
  }
}

/** Refuses CR, LF, NUL and other controls: they would let a value split the response. */
export function assertFieldValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      throw new InvalidHeaderError(`invalid character in the value of header ${name}`);
    }
  }
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
