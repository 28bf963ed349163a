/**
 * The body of one request, pulled from the connection's parser on demand.
 *
 * Nothing is read until the handler asks; a handler that answers without reading
 * (401, 413…) never causes the body to be received. On `Expect: 100-continue`,
 * the first read sends "100 Continue".
 */
import { joinBytes } from "../http/bytes.ts";
import { ProtocolError } from "../http/errors.ts";
import type { FieldList } from "../http/fields.ts";
import type { RequestBody } from "../http/message.ts";
import { NEED_DATA, type RequestParser } from "../http/parser.ts";
import type { BodyFraming, RequestHead } from "../http/request_head.ts";

/** What a body needs from its connection. */
export interface BodySource {
  readonly parser: RequestParser;
  /** Reads more bytes into the parser; false when the peer has closed. */
  fillForBody(): Promise<boolean>;
  /** Sends "100 Continue" now (after any responses still queued). */
  sendContinue(): Promise<void>;
}

export class BodyUsedError extends TypeError {
  override name = "BodyUsedError";
}

const utf8 = new TextDecoder();

/** What the connection driver needs from a body after the handler has run. */
export interface ExchangeBody extends RequestBody {
  /** Whether the client was told to go ahead (or never asked to wait). */
  readonly clientMaySend: boolean;
  /** Completes without I/O when nothing but the end marker is pending. */
  tryFinishSync(): boolean;
  discard(maxBytes: number): Promise<boolean>;
  close(): void;
}

/**
 * The body of a request without one. Shared by all such requests (it has no state),
 * so the common GET allocates no body object.
 */
export const EMPTY_BODY: ExchangeBody = Object.freeze({
  framing: "none" as const,
  length: 0,
  consumed: true,
  trailers: null,
  clientMaySend: true,
  read: () => Promise.resolve(null),
  bytes: () => Promise.resolve(new Uint8Array(0)),
  text: () => Promise.resolve(""),
  json: () => Promise.reject(new SyntaxError("Unexpected end of JSON input")),
  stream: () => new ReadableStream<Uint8Array>({ start: (controller) => controller.close() }),
  tryFinishSync: () => true,
  discard: () => Promise.resolve(true),
  close: () => {},
});

export class IncomingBody implements ExchangeBody {
  readonly framing: BodyFraming;
  readonly length: number;
  #source: BodySource;
  #expectContinue: boolean;
  #continueSent = false;
  #consumed = false;
  #reading = false;
  #closed = false;
  #trailers: FieldList | null = null;
  #used = false;

  constructor(head: RequestHead, source: BodySource) {
    this.framing = head.framing;
    this.length = head.contentLength;
    this.#source = source;
    this.#expectContinue = head.expectContinue && head.framing !== "none";
  }

  get consumed(): boolean {
    return this.#consumed;
  }

  get trailers(): FieldList | null {
    return this.#trailers;
  }

  /** Whether the client was told to go ahead (or never asked to wait). */
  get clientMaySend(): boolean {
    return !this.#expectContinue || this.#continueSent;
  }

  tryFinishSync(): boolean {
    return this.#consumed;
  }

  async read(): Promise<Uint8Array | null> {
    const view = await this.#pull();
    return view === null ? null : view.slice();
  }

  async bytes(): Promise<Uint8Array> {
    this.#claim();
    if (this.framing === "length") {
      // The size is known: fill one buffer without intermediate copies.
      const out = new Uint8Array(this.length);
      let at = 0;
      for (let view = await this.#pull(); view !== null; view = await this.#pull()) {
        out.set(view, at);
        at += view.length;
      }
      return out;
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let view = await this.#pull(); view !== null; view = await this.#pull()) {
      parts.push(view.slice());
      total += view.length;
    }
    return joinBytes(parts, total);
  }

  async text(): Promise<string> {
    return utf8.decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  stream(): ReadableStream<Uint8Array> {
    this.#claim();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const view = await this.#pull();
        if (view === null) controller.close();
        else controller.enqueue(view.slice());
      },
    }, { highWaterMark: 0 });
  }

  /**
   * Reads and drops the rest of the body, up to `maxBytes`. Returns false when the
   * rest is larger (the connection must then close instead).
   */
  async discard(maxBytes: number): Promise<boolean> {
    if (this.framing === "length" && this.length > maxBytes) return false;
    let dropped = 0;
    for (let view = await this.#pull(); view !== null; view = await this.#pull()) {
      dropped += view.length;
      if (dropped > maxBytes) return false;
    }
    return true;
  }

  /** The exchange is over: later reads fail instead of touching the next request. */
  close(): void {
    this.#closed = true;
  }

  #claim(): void {
    if (this.#used) throw new BodyUsedError("the request body has already been read");
    this.#used = true;
  }

  /** The next piece of body as a view into the parser's buffer, or null at the end. */
  async #pull(): Promise<Uint8Array | null> {
    if (this.#consumed) return null;
    if (this.#closed) throw new BodyUsedError("the request body can no longer be read: the exchange is over");
    if (this.#reading) throw new BodyUsedError("the request body is already being read");
    this.#reading = true;
    try {
      if (this.#expectContinue && !this.#continueSent) {
        this.#continueSent = true;
        await this.#source.sendContinue();
      }
      const parser = this.#source.parser;
      for (;;) {
        const event = parser.next();
        if (event === NEED_DATA) {
          if (!(await this.#source.fillForBody())) throw new ProtocolError(400, "incomplete request body");
          continue;
        }
        if (event.type === "data") return event.bytes;
        if (event.type === "end") {
          this.#consumed = true;
          this.#trailers = event.trailers;
          return null;
        }
        throw new Error("unexpected request head inside a body");
      }
    } finally {
      this.#reading = false;
    }
  }
}
