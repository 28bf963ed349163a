/**
 * A growable output buffer. Responses produced from one read are serialised into one
 * sink and sent with one write, which is what makes pipelining and small responses fast.
 */
export class ByteSink {
  #buf: Uint8Array;
  #pos = 0;

  constructor(initialBytes = 16 * 1024) {
    this.#buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.#pos;
  }

  /** The bytes written so far (a view: valid until the next write or reset). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  reset(): void {
    this.#pos = 0;
  }

  /** Forgets everything written after `length` bytes. */
  truncate(length: number): void {
    if (length < this.#pos) this.#pos = length;
  }

  /** Drops a buffer that grew for one large response, so idle connections stay small. */
  shrinkTo(maxBytes: number): void {
    if (this.#buf.length > maxBytes && this.#pos === 0) this.#buf = new Uint8Array(maxBytes);
  }

  /** Makes room for `n` more bytes and returns the write position. */
  ensure(n: number): number {
    const need = this.#pos + n;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#pos));
      this.#buf = grown;
    }
    return this.#pos;
  }

  bytes(data: Uint8Array): void {
    const at = this.ensure(data.length);
    this.#buf.set(data, at);
    this.#pos = at + data.length;
  }

  /** Writes CR LF. */
  crlf(): void {
    const at = this.ensure(2);
    this.#buf[at] = 0x0d;
    this.#buf[at + 1] = 0x0a;
    this.#pos = at + 2;
  }

  /** Writes a string whose code units are all below 0x100 (checked by the caller). */
  latin1(s: string): void {
    const n = s.length;
    const at = this.ensure(n);
    const buf = this.#buf;
    for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
    this.#pos = at + n;
  }

  /** Writes a non-negative integer in decimal. */
  decimal(value: number): void {
    this.latin1(String(value));
  }

  /** Writes a non-negative integer in hexadecimal (chunk sizes). */
  hex(value: number): void {
    this.latin1(value.toString(16));
  }

  /** Writes `s` as UTF-8 and returns the number of bytes written. */
  utf8(s: string): number {
    const at = this.ensure(s.length * 3);
    const { written } = encoder.encodeInto(s, this.#buf.subarray(at));
    this.#pos = at + written;
    return written;
  }

  /** Moves bytes [from, pos) forward by `gap` bytes, opening a hole at `from`. */
  openGap(from: number, gap: number): void {
    this.ensure(gap);
    this.#buf.copyWithin(from + gap, from, this.#pos);
    this.#pos += gap;
  }

  /** Overwrites bytes at `at` (inside the written region). */
  patchBytes(at: number, data: Uint8Array): void {
    this.#buf.set(data, at);
  }

  /** Overwrites bytes at `at` (inside the written region) with an ASCII string. */
  patchLatin1(at: number, s: string): void {
    for (let i = 0; i < s.length; i++) this.#buf[at + i] = s.charCodeAt(i);
  }
}

const encoder = new TextEncoder();
