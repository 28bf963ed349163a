/**
 * In-process requests: run the real pipeline (parser, middleware, router, handlers, response
 * writer) without a socket. The request is serialised and parsed by the real parser, and the
 * response is serialised by the real writer, so what a test sees is what the wire would carry.
 *
 *   const response = await inject(app.handle, "/api/health");
 *   assert.equal(response.status, 200);
 */
import { ByteSink } from "../http/byte_sink.ts";
import { joinBytes } from "../http/bytes.ts";
import type { FieldList } from "../http/fields.ts";
import type { RequestBody, RequestHandler } from "../http/message.ts";
import { NEED_DATA, RequestParser } from "../http/parser.ts";
import type { BodyFraming, RequestHead } from "../http/request_head.ts";
import { writeChunk, writeLastChunk, writeResponse } from "../http/response_writer.ts";
import { IncomingRequest } from "../server/request.ts";

export interface InjectInit {
  readonly method?: string;
  readonly headers?: Record<string, string> | [string, string][];
  readonly body?: string | Uint8Array;
  /** Defaults to "127.0.0.1:50000". */
  readonly remoteAddress?: string;
}

/** Sends one request through `handler` and returns the response as a web Response. */
export async function inject(handler: RequestHandler, target: string, init: InjectInit = {}): Promise<Response> {
  const method = init.method ?? "GET";
  const headers = Array.isArray(init.headers) ? init.headers : Object.entries(init.headers ?? {});
  const body = typeof init.body === "string" ? new TextEncoder().encode(init.body) : init.body ?? null;
  const names = new Set(headers.map(([name]) => name.toLowerCase()));
  let head = `${method} ${target} HTTP/1.1\r\n`;
  if (!names.has("host")) head += "host: localhost\r\n";
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  if (body !== null && !names.has("content-length") && !names.has("transfer-encoding")) {
    head += `content-length: ${body.length}\r\n`;
  }
  const parser = new RequestParser({ maxBodyBytes: Number.MAX_SAFE_INTEGER });
  parser.feed(new TextEncoder().encode(head + "\r\n"));
  if (body !== null) parser.feed(body);

  const event = parser.next();
  if (event === NEED_DATA || event.type !== "head") throw new Error("inject: the request head did not parse");
  const requestBody = new ParsedBody(event.head, parser);
  const request = new IncomingRequest(event.head, requestBody, init.remoteAddress ?? "127.0.0.1:50000", false);
  const response = await handler(request);

  const sink = new ByteSink();
  const info = {
    headRequest: method === "HEAD",
    minorVersion: 1 as const,
    keepAlive: true,
    keepAliveTimeoutSeconds: 5,
    nowMs: Date.now(),
  };
  const outcome = writeResponse(sink, response, info);
  if (outcome.stream !== null) {
    for await (const chunk of outcome.stream) {
      if (outcome.framing === "chunked") writeChunk(sink, chunk);
      else sink.bytes(chunk);
    }
    if (outcome.framing === "chunked") writeLastChunk(sink);
  }
  return toResponse(sink.view().slice(), method === "HEAD");
}

/** Turns serialised response bytes back into a Response (content-length or chunked bodies). */
function toResponse(bytes: Uint8Array, headRequest: boolean): Response {
  const text = new TextDecoder("latin1").decode(bytes);
  const headEnd = text.indexOf("\r\n\r\n");
  const lines = text.slice(0, headEnd).split("\r\n");
  const status = Number(lines[0].split(" ")[1]);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  let content = bytes.subarray(headEnd + 4);
  if (headers.get("transfer-encoding") === "chunked") content = dechunk(content);
  const noBody = headRequest || status === 204 || status === 304;
  return new Response(noBody ? null : content as Uint8Array<ArrayBuffer>, { status, headers });
}

function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf(0x0a, at);
    const size = parseInt(new TextDecoder().decode(bytes.subarray(at, lineEnd)), 16);
    if (size === 0) break;
    parts.push(bytes.subarray(lineEnd + 1, lineEnd + 1 + size));
    at = lineEnd + 1 + size + 2;
  }
  return joinBytes(parts);
}

/** A body already fully in the parser's buffer. */
class ParsedBody implements RequestBody {
  readonly framing: BodyFraming;
  readonly length: number;
  consumed = false;
  trailers: FieldList | null = null;
  #parser: RequestParser;

  constructor(head: RequestHead, parser: RequestParser) {
    this.framing = head.framing;
    this.length = head.contentLength;
    this.#parser = parser;
  }

  read(): Promise<Uint8Array | null> {
    if (this.consumed) return Promise.resolve(null);
    const event = this.#parser.next();
    if (event === NEED_DATA) return Promise.reject(new Error("inject: incomplete request body"));
    if (event.type === "data") return Promise.resolve(event.bytes.slice());
    this.consumed = true;
    if (event.type === "end") this.trailers = event.trailers;
    return Promise.resolve(null);
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (let part = await this.read(); part !== null; part = await this.read()) parts.push(part);
    return joinBytes(parts);
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream({
      pull: async (controller) => {
        const part = await this.read();
        if (part === null) controller.close();
        else controller.enqueue(part);
      },
    });
  }
}
