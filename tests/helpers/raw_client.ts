/**
 * A raw HTTP/1.1 client for tests: a real socket, bytes sent exactly as given, and an
 * incremental response reader that never relies on timing. It reads only what it needs
 * for the response at hand, so pipelined responses are read one after the other.
 */

export type Bytes = string | Uint8Array;

/** Strings are sent byte for byte (latin1): "\x16\x03" is two bytes, never UTF-8. */
export function toBytes(data: Bytes): Uint8Array {
  if (typeof data !== "string") return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`character ${code} is not a byte; pass a Uint8Array`);
    out[i] = code;
  }
  return out;
}

export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

const utf8 = new TextDecoder();

/** One parsed response, with the exact bytes it arrived as. */
export interface RawResponse {
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  /** Field lines in order, names lowercased. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** How the body was delimited. */
  readonly framing: "none" | "length" | "chunked" | "close";
  /** The body, de-chunked. */
  readonly body: Uint8Array;
  /** The body decoded as UTF-8. */
  readonly text: string;
  /** Trailer fields of a chunked body. */
  readonly trailers: ReadonlyArray<readonly [string, string]>;
  /** Every byte of the response: head and body as received. */
  readonly raw: Uint8Array;
  /** The head (status line, fields, blank line) as a latin1 string. */
  readonly head: string;
  /** The value of a field (several lines joined with ", "), or null. */
  header(name: string): string | null;
  /** Number of field lines named `name`. */
  headerCount(name: string): number;
}

/** The connection ended before a response began. */
export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
}

/** The connection ended in the middle of a response. `partial` holds the bytes that did arrive. */
export class IncompleteResponseError extends Error {
  override name = "IncompleteResponseError";
  constructor(message: string, readonly partial: Uint8Array) {
    super(`${message} (${partial.length} bytes received: ${JSON.stringify(latin1(partial).slice(0, 200))})`);
  }
}

export class MalformedResponseError extends Error {
  override name = "MalformedResponseError";
}

export interface ReadOptions {
  /** The request was HEAD: the response has no body whatever its fields say. */
  readonly head?: boolean;
}

interface ByteSource {
  read(buffer: Uint8Array): Promise<number | null>;
}

const READ_BYTES = 16 * 1024;

/** Parses responses from a socket incrementally; keeps unread bytes for the next response. */
export class ResponseReader {
  readonly #source: ByteSource;
  #buf = new Uint8Array(READ_BYTES);
  #start = 0;
  #end = 0;
  #eof = false;
  #reset = false;
  #reads = 0;

  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** Whether the peer has closed (end of stream or reset) as far as reads have seen. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Whether the end came as a connection reset rather than a clean close. */
  get reset(): boolean {
    return this.#reset;
  }

  /** Number of successful socket reads so far. */
  get reads(): number {
    return this.#reads;
  }

  /** Bytes received and not yet consumed by a parsed response. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** The next response (1xx interim responses included); throws if the connection ends first. */
  async readResponse(options: ReadOptions = {}): Promise<RawResponse> {
    const response = await this.readResponseOrEof(options);
    if (response === null) throw new ConnectionClosedError("connection closed before a response");
    return response;
  }

  /** The next response, or null when the connection closed cleanly before its first byte. */
  async readResponseOrEof(options: ReadOptions = {}): Promise<RawResponse | null> {
    this.#compact();
    if (this.#start === this.#end && !(await this.#fill())) return null;
    const from = this.#start;
    const statusLine = await this.#line(from);
    const match = /^HTTP\/(\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine);
    if (match === null) throw new MalformedResponseError(`bad status line ${JSON.stringify(statusLine)}`);
    const status = Number(match[2]);
    const headers = await this.#fields(from);
    const headEnd = this.#start;
    const get = (fields: ReadonlyArray<readonly [string, string]>, name: string) => {
      const values = fields.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
      return values.length === 0 ? null : values.join(", ");
    };

    let framing: RawResponse["framing"];
    let body: Uint8Array;
    let trailers: ReadonlyArray<readonly [string, string]> = [];
    const transferEncoding = get(headers, "transfer-encoding");
    const contentLength = get(headers, "content-length");
    if (status < 200 || status === 204 || status === 304 || options.head) {
      framing = "none";
      body = new Uint8Array(0);
    } else if (transferEncoding !== null) {
      if (!/(^|,)\s*chunked\s*$/i.test(transferEncoding)) {
        throw new MalformedResponseError(`unexpected transfer-encoding ${transferEncoding}`);
      }
      framing = "chunked";
      ({ body, trailers } = await this.#chunked(from));
    } else if (contentLength !== null) {
      if (!/^[0-9]+$/.test(contentLength)) throw new MalformedResponseError(`bad content-length ${contentLength}`);
      framing = "length";
      body = await this.#exactly(Number(contentLength), from);
    } else {
      framing = "close";
      while (await this.#fill());
      body = this.#buf.slice(this.#start, this.#end);
      this.#start = this.#end;
    }

    const raw = this.#buf.slice(from, this.#start);
    const head = latin1(this.#buf.subarray(from, headEnd));
    return {
      version: match[1],
      status,
      reason: match[3],
      headers,
      framing,
      body,
      text: utf8.decode(body),
      trailers,
      raw,
      head,
      header: (name) => get(headers, name),
      headerCount: (name) => headers.filter(([n]) => n === name.toLowerCase()).length,
    };
  }

  /** The next `count` responses in order. */
  async readResponses(count: number, options: ReadOptions = {}): Promise<RawResponse[]> {
    const out: RawResponse[] = [];
    for (let i = 0; i < count; i++) out.push(await this.readResponse(options));
    return out;
  }

  /** Every byte still to come (buffered ones included) until the peer closes. */
  async readUntilClosed(): Promise<Uint8Array> {
    this.#compact();
    while (await this.#fill());
    const rest = this.#buf.slice(this.#start, this.#end);
    this.#start = this.#end;
    return rest;
  }

  // ── Internals ──────────────────────────────────────────────────────────────

  /** Drops consumed bytes; only called between responses so that `from` offsets stay valid. */
  #compact(): void {
    if (this.#start === 0) return;
    this.#buf.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#start = 0;
  }

  /** Reads once more; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#buf.length - this.#end < READ_BYTES) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#end + READ_BYTES));
      grown.set(this.#buf.subarray(0, this.#end));
      this.#buf = grown;
    }
    let n: number | null;
    try {
      n = await this.#source.read(this.#buf.subarray(this.#end));
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) {
        this.#reset = true;
        n = null;
      } else if (error instanceof Deno.errors.UnexpectedEof) {
        // TLS without close_notify.
        n = null;
      } else {
        throw error;
      }
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#reads++;
    this.#end += n;
    return true;
  }

  #incomplete(message: string, from: number): never {
    throw new IncompleteResponseError(message, this.#buf.slice(from, this.#end));
  }

  /** The next CRLF-terminated line (without CRLF), consumed. */
  async #line(from: number): Promise<string> {
    let scanned = this.#start;
    for (;;) {
      for (let i = scanned; i + 1 < this.#end; i++) {
        if (this.#buf[i] === 0x0d && this.#buf[i + 1] === 0x0a) {
          const line = latin1(this.#buf.subarray(this.#start, i));
          this.#start = i + 2;
          return line;
        }
      }
      scanned = Math.max(this.#start, this.#end - 1);
      if (!(await this.#fill())) this.#incomplete("connection closed inside a line", from);
    }
  }

  async #fields(from: number): Promise<Array<readonly [string, string]>> {
    const fields: Array<readonly [string, string]> = [];
    for (;;) {
      const line = await this.#line(from);
      if (line === "") return fields;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new MalformedResponseError(`bad field line ${JSON.stringify(line)}`);
      fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }

  async #exactly(count: number, from: number): Promise<Uint8Array> {
    while (this.#end - this.#start < count) {
      if (!(await this.#fill())) this.#incomplete(`connection closed inside a ${count}-byte body`, from);
    }
    const out = this.#buf.slice(this.#start, this.#start + count);
    this.#start += count;
    return out;
  }

  async #chunked(from: number): Promise<{ body: Uint8Array; trailers: Array<readonly [string, string]> }> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const sizeLine = await this.#line(from);
      const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(sizeLine);
      if (size === null) throw new MalformedResponseError(`bad chunk size line ${JSON.stringify(sizeLine)}`);
      const length = parseInt(size[1], 16);
      if (length === 0) break;
      parts.push(await this.#exactly(length, from));
      if ((await this.#line(from)) !== "") throw new MalformedResponseError("chunk data not followed by CRLF");
    }
    const trailers = await this.#fields(from);
    const body = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
    return { body, trailers };
  }
}

export interface ConnectOptions {
  readonly hostname?: string;
  /** Disable Nagle on the client side, so that each write leaves as its own segment (TCP only). */
  readonly noDelay?: boolean;
}

export interface ConnectTlsOptions {
  readonly hostname?: string;
  readonly caCerts: string[];
}

/** A raw client connection. Closing is idempotent; `await using` closes it. */
export class RawClient implements AsyncDisposable {
  readonly conn: Deno.Conn;
  readonly reader: ResponseReader;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.reader = new ResponseReader(conn);
  }

  static async connect(port: number, options: ConnectOptions = {}): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: options.hostname ?? "127.0.0.1", port });
    if (options.noDelay ?? true) conn.setNoDelay(true);
    return new RawClient(conn);
  }

  static async connectTls(port: number, options: ConnectTlsOptions): Promise<RawClient> {
    const conn = await Deno.connectTls({ hostname: options.hostname ?? "localhost", port, caCerts: options.caCerts });
    return new RawClient(conn);
  }

  /** Sends each piece with its own write (the whole piece, however many writes it takes). */
  async send(...pieces: Bytes[]): Promise<void> {
    for (const piece of pieces) await writeAll(this.conn, toBytes(piece));
  }

  /** Sends `data` one byte per write. */
  async sendBytewise(data: Bytes): Promise<void> {
    const bytes = toBytes(data);
    for (let i = 0; i < bytes.length; i++) await writeAll(this.conn, bytes.subarray(i, i + 1));
  }

  /** Ends the client's sending side (a TCP half-close); reading goes on. */
  async closeWrite(): Promise<void> {
    await this.conn.closeWrite();
  }

  readResponse(options?: ReadOptions): Promise<RawResponse> {
    return this.reader.readResponse(options);
  }

  readResponseOrEof(options?: ReadOptions): Promise<RawResponse | null> {
    return this.reader.readResponseOrEof(options);
  }

  readResponses(count: number, options?: ReadOptions): Promise<RawResponse[]> {
    return this.reader.readResponses(count, options);
  }

  /** Every byte until the server closes the connection. */
  readUntilClosed(): Promise<Uint8Array> {
    return this.reader.readUntilClosed();
  }

  /** `request` sent, one response read. */
  async exchange(request: Bytes, options?: ReadOptions): Promise<RawResponse> {
    await this.send(request);
    return await this.readResponse(options);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** A GET request with the given extra field lines (each "name: value"). */
export function get(path: string, ...fields: string[]): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${fields.map((f) => `${f}\r\n`).join("")}\r\n`;
}

/** A POST with a Content-Length body. */
export function post(path: string, body: string, ...fields: string[]): string {
  const lines = fields.map((f) => `${f}\r\n`).join("");
  return `POST ${path} HTTP/1.1\r\nHost: test\r\nContent-Length: ${toBytes(body).length}\r\n${lines}\r\n${body}`;
}
