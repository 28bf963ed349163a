/**
 * Serialises responses into a ByteSink (RFC 9112 §4, §6, §7.1; RFC 9110 §6.4.1).
 *
 * The head is assembled from prebuilt byte pieces: status line (cached per status),
 * date line (cached per second), the handler's HeaderBlock, then the framing and
 * connection fields, which the writer alone decides.
 */
import { joinBytes } from "./bytes.ts";
import type { ByteSink } from "./byte_sink.ts";
import { dateLine } from "./date.ts";
import { assertFieldName, assertFieldValue, FRAMING_FIELDS, HeaderBlock, type HeaderInit } from "./header_block.ts";
import type { ExtraFields, HttpResponse } from "./message.ts";
import { reasonPhrase, statusForbidsBody } from "./status.ts";

export interface ExchangeInfo {
  /** The request was HEAD: send the head only. */
  readonly headRequest: boolean;
  /** The request's minor version (0 or 1). */
  readonly minorVersion: 0 | 1;
  /** Whether the driver intends to keep the connection open after this response. */
  readonly keepAlive: boolean;
  /** Advertised in `keep-alive: timeout=N`. */
  readonly keepAliveTimeoutSeconds: number;
  /** The current time (ms since the epoch) for the `date` field. */
  readonly nowMs: number;
}

/** How a streamed body is delimited on the wire. */
export type StreamFraming =
  /** Exactly `length` bytes, announced in content-length (the handler declared it). */
  | "length"
  /** Chunked transfer coding (HTTP/1.1). */
  | "chunked"
  /** Until the connection closes (HTTP/1.0 without a declared length). */
  | "close";

export interface WriteOutcome {
  /** Whether the connection stays open after this response (the response may ask to close). */
  readonly keepAlive: boolean;
  /** A body stream still to be sent; null when the response is complete in the sink. */
  readonly stream: ReadableStream<Uint8Array> | null;
  readonly framing: StreamFraming;
  /** For "length" framing: how many bytes the stream must produce. */
  readonly length: number;
}

const DONE_KEEP: WriteOutcome = Object.freeze({ keepAlive: true, stream: null, framing: "length", length: 0 });
const DONE_CLOSE: WriteOutcome = Object.freeze({ keepAlive: false, stream: null, framing: "length", length: 0 });
const DONE = (keepAlive: boolean): WriteOutcome => keepAlive ? DONE_KEEP : DONE_CLOSE;

export class ResponseWriteError extends Error {
  override name = "ResponseWriteError";
}

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const COLON_SP = encoder.encode(": ");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
const CONNECTION_CLOSE = encoder.encode("connection: close\r\n");
const TRANSFER_CHUNKED = encoder.encode("transfer-encoding: chunked\r\n");
const CONTENT_LENGTH = "content-length: ";
const CONTENT_LENGTH_BYTES = encoder.encode(CONTENT_LENGTH);

const statusLines: Uint8Array[] = [];
function statusLine(status: number): Uint8Array {
  let line = statusLines[status];
  if (line === undefined) {
    // Always HTTP/1.1: a server sends its highest conformant version (RFC 9110 §6.2).
    line = encoder.encode(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`);
    statusLines[status] = line;
  }
  return line;
}

const keepAliveLines: [Map<number, Uint8Array>, Map<number, Uint8Array>] = [new Map(), new Map()];
function keepAliveLine(minorVersion: 0 | 1, timeoutSeconds: number): Uint8Array {
  const cache = keepAliveLines[minorVersion];
  let line = cache.get(timeoutSeconds);
  if (line === undefined) {
    // HTTP/1.0 clients need the explicit token to keep the connection (RFC 9112 §C.2.2).
    const connection = minorVersion === 0 ? "connection: keep-alive\r\n" : "";
    // Under a second there is no honest whole number to advertise: say nothing.
    const keepAlive = timeoutSeconds >= 1 ? `keep-alive: timeout=${timeoutSeconds}\r\n` : "";
    line = encoder.encode(connection + keepAlive);
    cache.set(timeoutSeconds, line);
  }
  return line;
}

function connectionLine(keepAlive: boolean, info: ExchangeInfo): Uint8Array {
  return keepAlive ? keepAliveLine(info.minorVersion, info.keepAliveTimeoutSeconds) : CONNECTION_CLOSE;
}

/**
 * A response whose bytes never change (fixed JSON, health checks): everything after the
 * status, date and connection lines is encoded once, so sending it is four copies.
 */
export class FixedResponse implements HttpResponse {
  readonly status: number;
  readonly headers: HeaderBlock;
  readonly body: Uint8Array;
  /** Header fields, content-length, blank line and body. */
  readonly tail: Uint8Array;
  /** The same without the body, for HEAD. */
  readonly headTail: Uint8Array;

  constructor(status: number, headers: HeaderInit, body: Uint8Array) {
    if (statusForbidsBody(status)) throw new ResponseWriteError(`status ${status} cannot have a body`);
    this.status = status;
    this.headers = HeaderBlock.from(headers);
    this.body = body;
    const head = joinBytes([this.headers.bytes, encoder.encode(`${CONTENT_LENGTH}${body.length}\r\n\r\n`)]);
    this.headTail = head;
    this.tail = joinBytes([head, body]);
    Object.freeze(this);
  }
}

/**
 * A FixedResponse with fields added by middleware: the prebuilt tail is still sent as one
 * piece, after the added fields.
 */
export class DecoratedResponse implements HttpResponse {
  constructor(readonly base: FixedResponse, readonly extra: ExtraFields) {}

  get status(): number {
    return this.base.status;
  }

  get headers(): HeaderBlock {
    return this.base.headers;
  }

  get body(): Uint8Array {
    return this.base.body;
  }
}

/**
 * Appends the response to `sink`. A stream body is returned for the caller to pump.
 * Field order: status line, date, connection fields, the handler's fields, framing.
 */
export function writeResponse(sink: ByteSink, response: HttpResponse, info: ExchangeInfo): WriteOutcome {
  const fixed = response instanceof FixedResponse
    ? response
    : response instanceof DecoratedResponse
    ? response.base
    : null;
  if (fixed !== null) {
    const keepAlive = info.keepAlive && !fixed.headers.close;
    sink.bytes(statusLine(fixed.status));
    if (!fixed.headers.hasDate) sink.bytes(dateLine(info.nowMs));
    sink.bytes(connectionLine(keepAlive, info));
    if (response.extra !== undefined) writeExtraFields(sink, response.extra);
    sink.bytes(info.headRequest ? fixed.headTail : fixed.tail);
    return DONE(keepAlive);
  }

  const status = response.status;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new ResponseWriteError(`invalid final status ${status}`);
  }
  const headers = HeaderBlock.from(response.headers);
  const body = response.body ?? null;
  let keepAlive = info.keepAlive && !headers.close;

  sink.bytes(statusLine(status));
  if (!headers.hasDate) sink.bytes(dateLine(info.nowMs));
  // A stream to an HTTP/1.0 client can only end with the connection.
  if (body instanceof ReadableStream && !info.headRequest && headers.contentLength < 0 && info.minorVersion === 0) {
    keepAlive = false;
  }
  sink.bytes(connectionLine(keepAlive, info));
  if (response.extra !== undefined) writeExtraFields(sink, response.extra);
  sink.bytes(headers.bytes);

  if (statusForbidsBody(status)) {
    cancelStream(body);
    sink.bytes(CRLF);
    return DONE(keepAlive);
  }

  if (body instanceof ReadableStream) {
    const declared = headers.contentLength;
    if (info.headRequest) {
      cancelStream(body);
      // Without a declared length the stream would have to run to learn it; HEAD may omit it.
      if (declared >= 0) writeContentLength(sink, declared);
      sink.bytes(CRLF);
      return DONE(keepAlive);
    }
    let framing: StreamFraming;
    if (declared >= 0) {
      framing = "length";
      writeContentLength(sink, declared);
    } else if (info.minorVersion === 1) {
      framing = "chunked";
      sink.bytes(TRANSFER_CHUNKED);
    } else {
      framing = "close";
    }
    sink.bytes(CRLF);
    return { keepAlive, stream: body, framing, length: declared };
  }

  if (typeof body === "string") {
    if (info.headRequest) {
      writeContentLength(sink, encoder.encode(body).length);
      sink.bytes(CRLF);
    } else {
      // Encode straight into the sink, then open a gap before it for the length line.
      const bodyStart = sink.length;
      const length = sink.utf8(body);
      const lengthLine = `${CONTENT_LENGTH}${length}\r\n\r\n`;
      sink.openGap(bodyStart, lengthLine.length);
      sink.patchLatin1(bodyStart, lengthLine);
    }
    return DONE(keepAlive);
  }

  const length = body === null
    ? (info.headRequest && headers.contentLength >= 0 ? headers.contentLength : 0)
    : body.length;
  writeContentLength(sink, length);
  sink.bytes(CRLF);
  if (body !== null && !info.headRequest) sink.bytes(body);
  return DONE(keepAlive);
}

const fieldPrefixes = new Map<string, Uint8Array>();
/** "name: " as bytes, cached: trusted fields come from a handful of constant names. */
function fieldPrefix(name: string): Uint8Array {
  let prefix = fieldPrefixes.get(name);
  if (prefix === undefined) {
    prefix = encoder.encode(`${name}: `);
    if (fieldPrefixes.size < 64) fieldPrefixes.set(name, prefix);
  }
  return prefix;
}

/** Middleware fields: blocks as encoded, single fields validated as they are written. */
function writeExtraFields(sink: ByteSink, extra: ExtraFields): void {
  for (const block of extra.blocks) sink.bytes(block.bytes);
  if (extra.trusted !== undefined) {
    for (const [name, value] of extra.trusted) {
      sink.bytes(fieldPrefix(name));
      sink.latin1(value);
      sink.crlf();
    }
  }
  for (const [rawName, value] of extra.fields) {
    const name = rawName.toLowerCase();
    if (FRAMING_FIELDS.has(name)) continue;
    assertFieldName(name);
    assertFieldValue(name, value);
    sink.latin1(name);
    sink.bytes(COLON_SP);
    sink.latin1(value);
    sink.bytes(CRLF);
  }
}

/** A body-less interim response, e.g. 100 Continue. */
export function writeInterim(sink: ByteSink, status: number): void {
  sink.bytes(statusLine(status));
  sink.bytes(CRLF);
}

/** One chunk of a chunked body. Empty chunks are skipped: an empty chunk would end the body. */
export function writeChunk(sink: ByteSink, data: Uint8Array): void {
  if (data.length === 0) return;
  sink.hex(data.length);
  sink.bytes(CRLF);
  sink.bytes(data);
  sink.bytes(CRLF);
}

export function writeLastChunk(sink: ByteSink): void {
  sink.bytes(LAST_CHUNK);
}

function writeContentLength(sink: ByteSink, length: number): void {
  sink.bytes(CONTENT_LENGTH_BYTES);
  sink.decimal(length);
  sink.crlf();
}

function cancelStream(body: unknown): void {
  if (body instanceof ReadableStream) body.cancel().catch(() => {});
}
