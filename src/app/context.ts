/**
 * The per-request context handed to middleware and handlers: the request (with params,
 * query and body readers), shared `state`, and the response being built.
 */
import { joinBytes } from "../http/bytes.ts";
import { ProtocolError } from "../http/errors.ts";
import type { FieldList } from "../http/fields.ts";
import { HeaderBlock, type HeaderInit } from "../http/header_block.ts";
import type { ExtraFields, HttpRequest, HttpResponse } from "../http/message.ts";
import { DecoratedResponse, FixedResponse } from "../http/response_writer.ts";
import { HttpError } from "./http_error.ts";
import type { RouteEntry } from "./routes_file.ts";
import type { Services } from "../services.ts";

/** For apps and tests without a data layer: any use of a service fails loudly. */
const NO_SERVICES = new Proxy({}, {
  get(_target, name) {
    throw new Error(`no services configured (asked for ${String(name)})`);
  },
}) as Services;

/** What middleware shares with handlers. Auth puts the user here. */
export interface AppState {
  [key: string]: unknown;
}

export const JSON_HEADERS: HeaderBlock = new HeaderBlock([["content-type", "application/json; charset=utf-8"]]);
export const TEXT_HEADERS: HeaderBlock = new HeaderBlock([["content-type", "text/plain; charset=utf-8"]]);
export const HTML_HEADERS: HeaderBlock = new HeaderBlock([["content-type", "text/html; charset=utf-8"]]);

/** Largest body the readers accept unless the body-parsing middleware says otherwise. */
export const DEFAULT_MAX_READ_BYTES = 1024 * 1024;

const utf8 = new TextDecoder();

/** The request as handlers see it: the engine's request plus route params and body readers. */
export class AppRequest {
  readonly raw: HttpRequest;
  /** Route parameters, percent-decoded. */
  params: Readonly<Record<string, string>> = {};
  /** Largest body `json()`, `text()` and `bytes()` will read (413 beyond). */
  maxReadBytes = DEFAULT_MAX_READ_BYTES;
  #query: URLSearchParams | null = null;

  constructor(raw: HttpRequest) {
    this.raw = raw;
  }

  get method(): string {
    return this.raw.method;
  }

  /** The path as received (still percent-encoded). */
  get path(): string {
    return this.raw.path;
  }

  get headers(): FieldList {
    return this.raw.headers;
  }

  /** The query string, parsed on first use. */
  get query(): URLSearchParams {
    return this.#query ??= new URLSearchParams(this.raw.query);
  }

  header(name: string): string | null {
    return this.raw.headers.get(name);
  }

  /** The body as JSON. 415 unless the content type is JSON, 413 when too large, 400 when invalid. */
  async json(): Promise<unknown> {
    const type = this.raw.headers.get("content-type");
    if (type === null || !isJsonType(type)) {
      throw new HttpError(415, "Content-Type must be application/json");
    }
    const text = await this.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, "Request body is not valid JSON");
    }
  }

  async text(): Promise<string> {
    return utf8.decode(await this.bytes());
  }

  /** The whole body, refusing more than `maxReadBytes` without reading it all. */
  async bytes(): Promise<Uint8Array> {
    const body = this.raw.body;
    const limit = this.maxReadBytes;
    if (body.length > limit) throw tooLarge(limit);
    if (body.framing !== "chunked") return await body.bytes();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let part = await body.read(); part !== null; part = await body.read()) {
      total += part.length;
      if (total > limit) throw tooLarge(limit);
      parts.push(part);
    }
    return joinBytes(parts, total);
  }

  /** The body as a stream (no size limit beyond the server's). */
  stream(): ReadableStream<Uint8Array> {
    return this.raw.body.stream();
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body is larger than ${limit} bytes`);
}

/** application/json, or any +json type, with optional parameters. */
export function isJsonType(contentType: string): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType);
}

export class Context {
  readonly req: AppRequest;
  /** The data layer and auth services (see src/services.ts); empty in apps that need none. */
  readonly services: Services;
  /** Shared between middleware and handlers. */
  readonly state: AppState = {};
  /** Set by the request-id middleware; echoed in error responses and the access log. */
  requestId = "";
  /** The route that matched, once routing has run. */
  route: RouteEntry | null = null;
  /** The response so far; a handler sets it directly or through the helpers below. */
  res: HttpResponse | null = null;
  /** Set by the access log (Date.now()) when it starts timing the request. */
  startedAt = 0;

  #blocks: HeaderBlock[] = [];
  #fields: [string, string][] = [];
  #trusted: [string, string][] = [];
  #vary: string[] = [];
  #beforeSend: ((ctx: Context) => void)[] = [];

  constructor(request: HttpRequest, services: Services = NO_SERVICES) {
    this.req = new AppRequest(request);
    this.services = services;
  }

  // ── Response helpers: each sets `res` and returns it ──────────────────────

  send(response: HttpResponse): HttpResponse {
    return this.res = response;
  }

  json(value: unknown, status = 200, headers: HeaderInit = JSON_HEADERS): HttpResponse {
    return this.res = { status, headers, body: JSON.stringify(value) };
  }

  text(body: string, status = 200, headers: HeaderInit = TEXT_HEADERS): HttpResponse {
    return this.res = { status, headers, body };
  }

  html(body: string, status = 200, headers: HeaderInit = HTML_HEADERS): HttpResponse {
    return this.res = { status, headers, body };
  }

  /** A streamed body, sent chunked (or with `content-length` when the headers declare one). */
  stream(body: ReadableStream<Uint8Array>, contentType: string, status = 200): HttpResponse {
    return this.res = { status, headers: [["content-type", contentType]], body };
  }

  redirect(location: string, status: 301 | 302 | 303 | 307 | 308 = 302): HttpResponse {
    if (/[\r\n]/.test(location)) throw new HttpError(500, "redirect location contains a line break");
    return this.res = { status, headers: [["location", location]] };
  }

  /** A response with no content, e.g. 204. */
  status(status: number, headers?: HeaderInit): HttpResponse {
    return this.res = { status, headers };
  }

  // ── Fields added by middleware ────────────────────────────────────────────

  /** Adds a response field for this request. */
  header(name: string, value: string): void {
    this.#fields.push([name, value]);
  }

  /**
   * Adds a response field the caller guarantees valid: a lowercase token name and a value of
   * visible ASCII, spaces and tabs. It is written without being checked again.
   */
  trustedHeader(name: string, value: string): void {
    this.#trusted.push([name, value]);
  }

  /** Adds prebuilt response fields (encoded once, shared by all requests). */
  headerBlock(block: HeaderBlock): void {
    this.#blocks.push(block);
  }

  /**
   * Runs `hook` on the final response just before it is sent — after any error has been
   * rendered — innermost registration first, like code after `await next()`. For middleware
   * whose after-work is synchronous: no async layer, and it sees error responses too.
   */
  beforeSend(hook: (ctx: Context) => void): void {
    this.#beforeSend.push(hook);
  }

  /** Adds a token to `vary`, once. */
  vary(field: string): void {
    if (!this.#vary.includes(field)) this.#vary.push(field);
  }

  /** The first response field named `name`: the handler's, then middleware's. */
  responseHeader(name: string): string | null {
    const key = name.toLowerCase();
    const own = this.res === null ? null : HeaderBlock.from(this.res.headers).get(key);
    if (own !== null) return own;
    for (const [n, v] of this.#fields) if (n.toLowerCase() === key) return v;
    for (const [n, v] of this.#trusted) if (n === key) return v;
    for (const block of this.#blocks) {
      const value = block.get(key);
      if (value !== null) return value;
    }
    return null;
  }

  /** The response to send: `res` with the middleware fields attached. */
  finish(fallback: HttpResponse): HttpResponse {
    if (this.res === null) this.res = fallback;
    const hooks = this.#beforeSend;
    for (let i = hooks.length - 1; i >= 0; i--) hooks[i](this);
    const res = this.res;
    if (this.#vary.length > 0) this.#fields.push(["vary", this.#vary.join(", ")]);
    if (this.#blocks.length === 0 && this.#fields.length === 0 && this.#trusted.length === 0) return res;
    const base = res.extra;
    const extra: ExtraFields = base === undefined
      ? { blocks: this.#blocks, fields: this.#fields, trusted: this.#trusted }
      : {
        blocks: [...base.blocks, ...this.#blocks],
        fields: [...base.fields, ...this.#fields],
        trusted: [...(base.trusted ?? []), ...this.#trusted],
      };
    // A prebuilt response keeps its single-piece tail; the added fields go in front of it.
    if (res instanceof FixedResponse) return new DecoratedResponse(res, extra);
    return { status: res.status, headers: res.headers, body: res.body, extra };
  }
}

/** The status a thrown error answers with, if it carries one. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError || error instanceof ProtocolError) return error.status;
  return 500;
}
