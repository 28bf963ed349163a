/**
 * Sans-IO HTTP/1.1 request parser (RFC 9112).
 *
 * Bytes go in with `feed()` (or `reserve()` + `commit()` to read straight into the
 * parser's buffer); `next()` returns the next event or NEED_DATA. It never touches a
 * socket, a timer or the application. Any split of the same bytes yields the same
 * events: every check happens at the byte that decides it, and every limit is a
 * byte offset.
 *
 * Message states:
 *
 *   HEAD ──head──▶ (none) ───────────────────────────▶ END ─▶ HEAD
 *          │        LENGTH ──data*─────────────────────▶ END
 *          │        CHUNK_SIZE ─▶ CHUNK_EXT ─▶ CHUNK_SIZE_LF ─▶ CHUNK_DATA ─data*─▶ CHUNK_DATA_CR ─▶ CHUNK_DATA_LF ─┐
 *          │           ▲  (size 0) ─▶ TRAILERS ─▶ END                                                               │
 *          │           └─────────────────────────────────────────────────────────────────────────────────────────┘
 *          └─ any violation ─▶ ERROR (sticky: every later call throws the same error)
 */
import { COLON, CR, FIELD_VALUE, HEX_VALUE, HTAB, LF, SEMICOLON, SP, TARGET, TOKEN } from "./chars.ts";
import { Buffer } from "node:buffer";
import { ParserUsageError, ProtocolError } from "./errors.ts";
import { FieldList } from "./fields.ts";
import { DEFAULT_LIMITS, MAX_METHOD_LENGTH, MIN_REQUEST_LINE_BYTES, type ParserLimits } from "./limits.ts";
import { interpretHead, type RawHead, type RequestHead } from "./request_head.ts";

export type { RequestHead } from "./request_head.ts";

export interface HeadEvent {
  readonly type: "head";
  readonly head: RequestHead;
}
/** A piece of body. The bytes are a view into the parser's buffer: valid until the next feed/reserve. */
export interface DataEvent {
  readonly type: "data";
  readonly bytes: Uint8Array;
}
export interface EndEvent {
  readonly type: "end";
  /** Trailer fields of a chunked body, or null. */
  readonly trailers: FieldList | null;
}
export interface NeedData {
  readonly type: "need-data";
}
export type ParserEvent = HeadEvent | DataEvent | EndEvent;

export const NEED_DATA: NeedData = Object.freeze({ type: "need-data" });
const END_NO_TRAILERS: EndEvent = Object.freeze({ type: "end", trailers: null });

// Message states.
const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_EXT = 3;
const CHUNK_SIZE_LF = 4;
const CHUNK_DATA = 5;
const CHUNK_DATA_CR = 6;
const CHUNK_DATA_LF = 7;
const TRAILERS = 8;
const END = 9;
const ERROR = 10;

// Lexer states inside a head or trailer section.
const L_LEADING = 0; // before the request-line: empty lines (CRLF) are skipped
const L_LEADING_LF = 1;
const L_METHOD = 2;
const L_TARGET = 3;
const L_VERSION = 4;
const L_VERSION_LF = 5;
const L_FIELD_START = 6;
const L_NAME = 7;
const L_VALUE_OWS = 8;
const L_VALUE = 9;
const L_VALUE_LF = 10;
const L_END_LF = 11;

/** Empty lines tolerated before a request-line (RFC 9112 §2.2 says "at least one"). */
const MAX_LEADING_EMPTY_LINES = 8;
const INITIAL_BUFFER_BYTES = 16 * 1024;
const HTTP_VERSION_LENGTH = 8; // "HTTP/1.1"

/** A node Buffer over the same memory: its latin1 decoding is the fastest byte-to-string path. */
function latin1View(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class RequestParser {
  readonly limits: ParserLimits;

  #buf = new Uint8Array(INITIAL_BUFFER_BYTES);
  #latin1View = latin1View(this.#buf);
  /** First unconsumed byte. */
  #start = 0;
  /** End of valid bytes. */
  #end = 0;

  #state = HEAD;
  #error: ProtocolError | null = null;

  // Lexer position and marks, relative to #start so that compaction needs no fix-ups.
  #lex = L_LEADING;
  #scan = 0;
  #leadingLines = 0;
  #lexEnd = 0;
  /** The previous head's event and text (latin1, so one code unit per byte), for the repeat-head fast path. */
  #lastHead: HeadEvent | null = null;
  #lastHeadText = "";
  #methodEnd = 0;
  #targetEnd = 0;
  #versionEnd = 0;
  /** [nameStart, nameEnd, valueStart, valueEnd] per field line. */
  #marks: number[] = [];

  // Body progress.
  #remaining = 0;
  #bodyBytes = 0;
  #chunkExtSeen = false;
  #chunkDigits = 0;
  #trailers: FieldList | null = null;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    const { maxRequestLineBytes, maxHeadBytes } = this.limits;
    if (maxRequestLineBytes < MIN_REQUEST_LINE_BYTES || maxRequestLineBytes > maxHeadBytes) {
      throw new ParserUsageError("maxRequestLineBytes must be between 64 and maxHeadBytes");
    }
  }

  /** Bytes received but not yet turned into events. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** True between messages with nothing buffered: the connection is idle. */
  get isIdle(): boolean {
    return this.#state === HEAD && this.#end === this.#start;
  }

  /** True while a head is being received (at least one byte of it has arrived). */
  get isReceivingHead(): boolean {
    return this.#state === HEAD && this.#end > this.#start;
  }

  /** Appends bytes received from the peer. */
  feed(bytes: Uint8Array): void {
    const target = this.reserve(bytes.length);
    target.set(bytes);
    this.commit(bytes.length);
  }

  /** A writable region of at least `minBytes` at the end of the buffer, to read into. */
  reserve(minBytes: number): Uint8Array {
    let buf = this.#buf;
    // The common case: everything was consumed, so the whole buffer is free.
    if (this.#start === this.#end && buf.length >= minBytes) {
      this.#start = this.#end = 0;
      return buf;
    }
    if (buf.length - this.#end < minBytes) {
      const live = this.#end - this.#start;
      if (buf.length - live < minBytes) {
        const grown = new Uint8Array(Math.max(buf.length * 2, live + minBytes));
        grown.set(buf.subarray(this.#start, this.#end));
        this.#buf = buf = grown;
      } else {
        buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = live;
    } else if (this.#start === this.#end) {
      this.#start = this.#end = 0;
    }
    return buf.subarray(this.#end);
  }

  /** Marks `count` bytes of the region returned by `reserve()` as received. */
  commit(count: number): void {
    if (count < 0 || this.#end + count > this.#buf.length) throw new ParserUsageError("commit beyond reserve");
    this.#end += count;
  }

  /**
   * The next event, or NEED_DATA when more bytes are required.
   * Throws ProtocolError (sticky) when the input violates the protocol or a limit.
   */
  next(): ParserEvent | NeedData {
    if (this.#error !== null) throw this.#error;
    try {
      switch (this.#state) {
        case HEAD:
          return this.#readHead();
        case LENGTH:
          return this.#readLengthBody();
        case END:
          this.#state = HEAD;
          if (this.#trailers !== null) {
            const trailers = this.#trailers;
            this.#trailers = null;
            return { type: "end", trailers };
          }
          return END_NO_TRAILERS;
        case TRAILERS:
          return this.#readTrailers();
        default:
          return this.#readChunked();
      }
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#state = ERROR;
        this.#error = error;
      }
      throw error;
    }
  }

  // ── Head ───────────────────────────────────────────────────────────────────

  #readHead(): ParserEvent | NeedData {
    const buf = this.#buf;
    const base = this.#start;
    const end = this.#end;
    const limits = this.limits;
    let i = base + this.#scan;
    let lex = this.#lex;
    const marks = this.#marks;

    // Repeat-head fast path. Keep-alive clients (pollers, health checks, API clients, load
    // generators) often send byte-identical heads; comparing bytes is much cheaper than lexing
    // and decoding them again, and identical bytes have an identical meaning.
    const repeat = this.#lastHead;
    const previous = this.#lastHeadText;
    const n = previous.length;
    if (repeat !== null && lex === L_LEADING && i === base && end - base >= n) {
      let k = 0;
      while (k < n && buf[base + k] === previous.charCodeAt(k)) k++;
      if (k === n) {
        this.#start = base + n;
        this.#enterBody(repeat.head);
        return repeat;
      }
    }

    // Once past leading empty lines the head starts at #start (= base); limits are offsets from it.
    while (i < end) {
      switch (lex) {
        case L_LEADING: {
          const c = buf[i];
          if (c === CR) {
            lex = L_LEADING_LF;
            i++;
          } else if (TOKEN[c] === 1) {
            if (i === base) {
              lex = L_METHOD;
            } else {
              // Empty lines preceded the request-line: drop them so offsets count from the method.
              this.#start = i;
              this.#lex = L_METHOD;
              this.#scan = 0;
              return this.#readHead();
            }
          } else {
            throw new ProtocolError(400, "invalid request-line");
          }
          break;
        }
        case L_LEADING_LF:
          if (buf[i] !== LF) throw new ProtocolError(400, "invalid request-line");
          if (++this.#leadingLines > MAX_LEADING_EMPTY_LINES) throw new ProtocolError(400, "too many empty lines");
          lex = L_LEADING;
          i++;
          break;
        case L_METHOD: {
          const stop = Math.min(end, base + MAX_METHOD_LENGTH + 1);
          while (i < stop && TOKEN[buf[i]] === 1) i++;
          if (i === stop) {
            if (stop < end || i - base > MAX_METHOD_LENGTH) throw new ProtocolError(400, "method too long");
            break;
          }
          if (buf[i] !== SP || i === base) throw new ProtocolError(400, "invalid method");
          this.#methodEnd = i - base;
          lex = L_TARGET;
          i++;
          break;
        }
        case L_TARGET: {
          const lineCap = base + limits.maxRequestLineBytes;
          const stop = Math.min(end, lineCap);
          while (i < stop && TARGET[buf[i]] === 1) i++;
          if (i === stop) {
            if (i === lineCap) throw new ProtocolError(414, "request-target too long");
            break;
          }
          if (buf[i] !== SP || i === base + this.#methodEnd + 1) {
            throw new ProtocolError(400, "invalid request-target");
          }
          this.#targetEnd = i - base;
          lex = L_VERSION;
          i++;
          break;
        }
        case L_VERSION: {
          const versionStart = base + this.#targetEnd + 1;
          const lineCap = base + limits.maxRequestLineBytes;
          const stop = Math.min(end, versionStart + HTTP_VERSION_LENGTH);
          for (; i < stop; i++) {
            // Every request-line byte before the CR must sit below the line limit.
            if (i >= lineCap) throw new ProtocolError(414, "request-line too long");
            const c = buf[i];
            // "HTTP/" DIGIT "." DIGIT: capitals, "/", "." and digits; the exact shape is checked later.
            if (!(c === 0x2f || c === 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a))) {
              throw new ProtocolError(400, "invalid HTTP version");
            }
          }
          if (i === end) break;
          if (buf[i] !== CR) throw new ProtocolError(400, "invalid HTTP version");
          this.#versionEnd = i - base;
          lex = L_VERSION_LF;
          i++;
          break;
        }
        case L_VERSION_LF:
          if (buf[i] !== LF) throw new ProtocolError(400, "request-line must end with CRLF");
          lex = L_FIELD_START;
          i++;
          break;
        default: {
          // Field lines. The whole head must fit in maxHeadBytes.
          const cap = base + limits.maxHeadBytes;
          lex = this.#lexFields(buf, i, Math.min(end, cap), lex, marks, limits.maxHeaderCount, base);
          i = this.#lexEnd;
          if (lex === -1) {
            this.#lex = L_LEADING;
            this.#scan = 0;
            return this.#finishHead(i);
          }
          // ">=": the request-line's CRLF may already sit past the cap when the two limits are close.
          if (i >= cap) throw new ProtocolError(431, "request head too large");
          this.#lex = lex;
          this.#scan = i - base;
          return NEED_DATA;
        }
      }
    }
    // Ran out of bytes inside the request-line.
    this.#lex = lex;
    this.#scan = i - this.#start;
    return NEED_DATA;
  }

  /**
   * Lexes field lines from `i` to `stop`. Returns the new lexer state (-1: the empty line
   * ending the section was consumed) and leaves the new position in #lexEnd.
   *
   * Marks record each name and each value without its surrounding whitespace.
   */
  #lexFields(
    buf: Uint8Array,
    i: number,
    stop: number,
    lex: number,
    marks: number[],
    maxFields: number,
    base: number,
  ): number {
    while (i < stop) {
      switch (lex) {
        case L_FIELD_START: {
          const c = buf[i];
          if (c === CR) {
            lex = L_END_LF;
            i++;
          } else if (TOKEN[c] === 1) {
            if (marks.length / 4 >= maxFields) throw new ProtocolError(431, "too many header fields");
            marks.push(i - base, 0, 0, 0);
            i++;
            lex = L_NAME;
          } else if (c === SP || c === HTAB) {
            throw new ProtocolError(400, "obsolete line folding is not allowed");
          } else {
            throw new ProtocolError(400, "invalid header field name");
          }
          break;
        }
        case L_NAME: {
          while (i < stop && TOKEN[buf[i]] === 1) i++;
          if (i === stop) break;
          // Whitespace between name and colon is a smuggling vector: refused (RFC 9112 §5.1).
          if (buf[i] !== COLON) throw new ProtocolError(400, "invalid header field name");
          marks[marks.length - 3] = i - base;
          lex = L_VALUE_OWS;
          i++;
          break;
        }
        case L_VALUE_OWS: {
          while (i < stop && (buf[i] === SP || buf[i] === HTAB)) i++;
          if (i === stop) break;
          marks[marks.length - 2] = i - base;
          lex = L_VALUE;
          break;
        }
        case L_VALUE: {
          while (i < stop && FIELD_VALUE[buf[i]] === 1) i++;
          if (i === stop) break;
          if (buf[i] !== CR) throw new ProtocolError(400, "invalid character in header field value");
          const valueStart = base + marks[marks.length - 2];
          let valueEnd = i;
          while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
          marks[marks.length - 1] = valueEnd - base;
          lex = L_VALUE_LF;
          i++;
          break;
        }
        case L_VALUE_LF:
          if (buf[i] !== LF) throw new ProtocolError(400, "header line must end with CRLF");
          lex = L_FIELD_START;
          i++;
          break;
        case L_END_LF:
          if (buf[i] !== LF) throw new ProtocolError(400, "header section must end with CRLF");
          this.#lexEnd = i + 1;
          return -1;
      }
    }
    this.#lexEnd = i;
    return lex;
  }

  #finishHead(headEnd: number): HeadEvent {
    const base = this.#start;
    const text = this.#decode(base, headEnd);
    const raw: RawHead = {
      method: this.#methodName(text),
      target: text.slice(this.#methodEnd + 1, this.#targetEnd),
      version: this.#versionName(text),
      headers: EMPTY_FIELDS,
      host: null,
      hostCount: 0,
      contentLength: null,
      transferEncoding: null,
      connection: null,
      expect: null,
    };
    raw.headers = this.#fieldsFrom(text, raw);
    const head = interpretHead(raw, this.limits);

    const event: HeadEvent = { type: "head", head };
    // The decoded text holds the head's bytes one per code unit: the next head is compared with it.
    this.#lastHead = event;
    this.#lastHeadText = text;
    this.#start = headEnd;
    this.#leadingLines = 0;
    this.#marks.length = 0;
    this.#enterBody(head);
    return event;
  }

  #enterBody(head: RequestHead): void {
    this.#bodyBytes = 0;
    if (head.framing === "length") {
      this.#remaining = head.contentLength;
      this.#state = LENGTH;
    } else if (head.framing === "chunked") {
      this.#enterChunkSize();
    } else {
      this.#state = END;
    }
  }

  /** The version as a constant string for HTTP/1.1 and HTTP/1.0. */
  #versionName(text: string): string {
    const at = this.#start + this.#targetEnd + 1;
    const buf = this.#buf;
    if (
      this.#versionEnd - this.#targetEnd - 1 === HTTP_VERSION_LENGTH && buf[at + 5] === 0x31 && buf[at + 6] === 0x2e
    ) {
      if (buf[at + 7] === 0x31 && text.startsWith("HTTP/", this.#targetEnd + 1)) return "HTTP/1.1";
      if (buf[at + 7] === 0x30 && text.startsWith("HTTP/", this.#targetEnd + 1)) return "HTTP/1.0";
    }
    return text.slice(this.#targetEnd + 1, this.#versionEnd);
  }

  /** The method as a constant string for the common ones: cheaper to compare and hash downstream. */
  #methodName(text: string): string {
    const buf = this.#buf;
    const at = this.#start;
    switch (this.#methodEnd) {
      case 3:
        if (buf[at] === 0x47 && buf[at + 1] === 0x45 && buf[at + 2] === 0x54) return "GET";
        if (buf[at] === 0x50 && buf[at + 1] === 0x55 && buf[at + 2] === 0x54) return "PUT";
        break;
      case 4:
        if (buf[at] === 0x50 && text.startsWith("POST")) return "POST";
        if (buf[at] === 0x48 && text.startsWith("HEAD")) return "HEAD";
        break;
    }
    return text.slice(0, this.#methodEnd);
  }

  /** Field lines from the marks. With `framing`, also notes the fields that frame the message. */
  #fieldsFrom(text: string, framing: RawHead | null): FieldList {
    const marks = this.#marks;
    const names: string[] = [];
    const values: string[] = [];
    for (let m = 0; m < marks.length; m += 4) {
      const name = text.slice(marks[m], marks[m + 1]).toLowerCase();
      const value = text.slice(marks[m + 2], marks[m + 3]);
      names.push(name);
      values.push(value);
      if (framing !== null) noteFramingField(framing, name, value);
    }
    return new FieldList(names, values);
  }

  /**
   * One string for the whole section, one code unit per byte (latin1): obs-text bytes in
   * values survive unchanged, and offsets into the string are offsets into the bytes.
   */
  #decode(from: number, to: number): string {
    let view = this.#latin1View;
    if (view.buffer !== this.#buf.buffer) view = this.#latin1View = latin1View(this.#buf);
    return view.toString("latin1", from, to);
  }

  // ── Bodies ─────────────────────────────────────────────────────────────────

  #readLengthBody(): ParserEvent | NeedData {
    const available = this.#end - this.#start;
    if (available === 0) return NEED_DATA;
    const take = Math.min(available, this.#remaining);
    const bytes = this.#buf.subarray(this.#start, this.#start + take);
    this.#start += take;
    this.#remaining -= take;
    if (this.#remaining === 0) this.#state = END;
    return { type: "data", bytes };
  }

  #enterChunkSize(): void {
    this.#state = CHUNK_SIZE;
    this.#remaining = 0;
    this.#chunkDigits = 0;
    this.#chunkExtSeen = false;
    this.#scan = 0;
  }

  #readChunked(): ParserEvent | NeedData {
    const buf = this.#buf;
    const end = this.#end;
    const limits = this.limits;
    while (this.#start < end) {
      let i = this.#start;
      switch (this.#state) {
        case CHUNK_SIZE: {
          // chunk-size = 1*HEXDIG, then optional extensions, then CRLF.
          while (i < end) {
            const digit = HEX_VALUE[buf[i]];
            if (digit === 0) break;
            this.#remaining = this.#remaining * 16 + digit - 1;
            if (this.#bodyBytes + this.#remaining > limits.maxBodyBytes) {
              throw new ProtocolError(413, "request body exceeds the size limit");
            }
            this.#chunkDigits++;
            i++;
          }
          this.#consumeChunkLine(i);
          if (i === end) return NEED_DATA;
          if (this.#chunkDigits === 0) throw new ProtocolError(400, "invalid chunk size");
          const c = buf[i];
          if (c === CR) {
            this.#state = CHUNK_SIZE_LF;
          } else if (c === SEMICOLON || c === SP || c === HTAB) {
            this.#chunkExtSeen = c === SEMICOLON;
            this.#state = CHUNK_EXT;
          } else {
            throw new ProtocolError(400, "invalid chunk size");
          }
          this.#consumeChunkLine(i + 1);
          break;
        }
        case CHUNK_EXT: {
          // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ). Extensions carry no meaning
          // here; what matters for framing is that the line ends at exactly one CRLF.
          while (i < end) {
            const c = buf[i];
            if (c === CR) break;
            if (c === SEMICOLON) this.#chunkExtSeen = true;
            else if (c !== SP && c !== HTAB && (FIELD_VALUE[c] !== 1 || !this.#chunkExtSeen)) {
              throw new ProtocolError(400, "invalid chunk extension");
            }
            i++;
          }
          this.#consumeChunkLine(i);
          if (i === end) return NEED_DATA;
          // Whitespace after the size is only allowed before an extension.
          if (!this.#chunkExtSeen) throw new ProtocolError(400, "invalid chunk size");
          this.#state = CHUNK_SIZE_LF;
          this.#consumeChunkLine(i + 1);
          break;
        }
        case CHUNK_SIZE_LF:
          if (buf[i] !== LF) throw new ProtocolError(400, "chunk size line must end with CRLF");
          this.#start = i + 1;
          if (this.#remaining === 0) {
            this.#state = TRAILERS;
            this.#lex = L_FIELD_START;
            this.#scan = 0;
            this.#marks.length = 0;
            return this.#readTrailers();
          }
          this.#state = CHUNK_DATA;
          break;
        case CHUNK_DATA: {
          const take = Math.min(end - i, this.#remaining);
          this.#start = i + take;
          this.#remaining -= take;
          this.#bodyBytes += take;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_CR;
          return { type: "data", bytes: buf.subarray(i, i + take) };
        }
        case CHUNK_DATA_CR:
          if (buf[i] !== CR) throw new ProtocolError(400, "chunk data must end with CRLF");
          this.#state = CHUNK_DATA_LF;
          this.#start = i + 1;
          break;
        case CHUNK_DATA_LF:
          if (buf[i] !== LF) throw new ProtocolError(400, "chunk data must end with CRLF");
          this.#start = i + 1;
          this.#enterChunkSize();
          break;
      }
    }
    return NEED_DATA;
  }

  /** Consumes chunk-line bytes up to `i`, enforcing the chunk line limit. */
  #consumeChunkLine(i: number): void {
    this.#scan += i - this.#start;
    this.#start = i;
    if (this.#scan > this.limits.maxChunkLineBytes) throw new ProtocolError(400, "chunk size line too long");
  }

  #readTrailers(): ParserEvent | NeedData {
    const base = this.#start;
    const cap = base + this.limits.maxTrailerBytes;
    const stop = Math.min(this.#end, cap);
    const lex = this.#lexFields(
      this.#buf,
      base + this.#scan,
      stop,
      this.#lex,
      this.#marks,
      this.limits.maxHeaderCount,
      base,
    );
    if (lex === -1) {
      if (this.#marks.length > 0) this.#trailers = this.#fieldsFrom(this.#decode(base, this.#lexEnd), null);
      this.#marks.length = 0;
      this.#start = this.#lexEnd;
      this.#scan = 0;
      this.#lex = L_LEADING;
      this.#state = END;
      return this.next();
    }
    if (this.#lexEnd === cap) throw new ProtocolError(431, "trailer section too large");
    this.#lex = lex;
    this.#scan = this.#lexEnd - base;
    return NEED_DATA;
  }
}

const EMPTY_FIELDS = new FieldList();

/** Collects the fields interpretHead needs, joining repeated lines as a list (RFC 9110 §5.3). */
function noteFramingField(raw: RawHead, name: string, value: string): void {
  switch (name) {
    case "host":
      raw.host = value;
      raw.hostCount++;
      break;
    case "content-length":
      raw.contentLength = raw.contentLength === null ? value : `${raw.contentLength}, ${value}`;
      break;
    case "transfer-encoding":
      raw.transferEncoding = raw.transferEncoding === null ? value : `${raw.transferEncoding}, ${value}`;
      break;
    case "connection":
      raw.connection = raw.connection === null ? value : `${raw.connection}, ${value}`;
      break;
    case "expect":
      raw.expect = raw.expect === null ? value : `${raw.expect}, ${value}`;
      break;
  }
}
