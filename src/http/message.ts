/**
 * The seam between the protocol engine and the application: what a handler receives
 * and what it returns. Nothing here touches a socket.
 */
import type { FieldList } from "./fields.ts";
import type { HeaderBlock, HeaderInit } from "./header_block.ts";
import type { BodyFraming, RequestHead } from "./request_head.ts";

/** A request body, read on demand. Reading it on an `Expect: 100-continue` request sends 100 Continue. */
export interface RequestBody {
  readonly framing: BodyFraming;
  /** Declared length (Content-Length), 0 without a body, -1 for chunked. */
  readonly length: number;
  /** Whether the whole body has been read. */
  readonly consumed: boolean;
  /** Trailer fields of a chunked body, once it is consumed. */
  readonly trailers: FieldList | null;
  /** The next piece of the body (a copy the caller owns), or null at the end. */
  read(): Promise<Uint8Array | null>;
  /** The whole body. */
  bytes(): Promise<Uint8Array>;
  /** The whole body decoded as UTF-8 (invalid sequences become U+FFFD). */
  text(): Promise<string>;
  /** The whole body parsed as JSON; throws SyntaxError on invalid JSON. */
  json(): Promise<unknown>;
  /** The body as a stream. */
  stream(): ReadableStream<Uint8Array>;
}

export interface HttpRequest extends RequestHead {
  readonly body: RequestBody;
  /** Peer address, "ip:port" (or "[ip]:port" for IPv6). */
  readonly remoteAddress: string;
  /** Whether the request arrived over TLS. */
  readonly secure: boolean;
}

export type ResponseBody = Uint8Array | string | ReadableStream<Uint8Array> | null;

export interface HttpResponse {
  readonly status: number;
  readonly headers?: HeaderInit;
  /** Bytes and strings are sent with Content-Length; streams are sent chunked (close-delimited to HTTP/1.0). */
  readonly body?: ResponseBody;
  /** Fields added around the handler's own (by middleware), written before them. */
  readonly extra?: ExtraFields;
}

/**
 * Response fields contributed by middleware: prebuilt blocks (encoded once, e.g. security
 * headers) and per-response fields (validated as they are written). Framing fields
 * (content-length, transfer-encoding, connection, keep-alive) are never taken from here.
 */
export interface ExtraFields {
  readonly blocks: readonly HeaderBlock[];
  readonly fields: readonly (readonly [string, string])[];
  /** Fields the middleware built from checked parts (lowercase names, safe values): not re-checked. */
  readonly trusted?: readonly (readonly [string, string])[];
}

export type RequestHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;
