/**
 * The connection driver: the only code that touches a socket.
 *
 * It reads into the parser's reused buffer, turns each request head into a call to the
 * application, and writes the responses in request order. Responses produced while
 * bytes are still buffered (pipelining) are batched into one write; the batch goes out
 * when the parser needs more input, or in the background while an async handler runs.
 *
 * Timeouts are deadlines checked by the server's sweeper, so the per-request path sets
 * a number instead of arming a timer.
 */
import { ByteSink } from "../http/byte_sink.ts";
import { ProtocolError } from "../http/errors.ts";
import type { HttpResponse, RequestHandler } from "../http/message.ts";
import { NEED_DATA, RequestParser } from "../http/parser.ts";
import type { RequestHead } from "../http/request_head.ts";
import {
  type ExchangeInfo,
  type StreamFraming,
  writeChunk,
  writeInterim,
  writeLastChunk,
  type WriteOutcome,
  writeResponse,
} from "../http/response_writer.ts";
import type { Logger } from "../log.ts";
import { BodyUsedError, EMPTY_BODY, type ExchangeBody, IncomingBody } from "./body.ts";
import { IncomingRequest } from "./request.ts";
import { closingErrorBytes, errorResponse, INTERNAL_ERROR } from "./error_response.ts";
import type { ConnectionSettings } from "./settings.ts";

/** What the driver is waiting for on the read side; decides what a timeout does. */
export const Phase = {
  /** Between requests, nothing buffered: keep-alive timeout, then a silent close. */
  Idle: 0,
  /** Receiving a head: header timeout from its first byte (or from accept), then 408. */
  Head: 1,
  /** Waiting for body bytes the handler asked for: body timeout, then 408. */
  Body: 2,
  /** Running the handler: no read deadline. */
  Handler: 3,
  /** Closing: reading and dropping what the peer still sends, for a short while. */
  Linger: 4,
} as const;
export type Phase = typeof Phase[keyof typeof Phase];

/** The server-side view of a connection, for timeouts and shutdown. */
export interface TrackedConnection {
  /** The moment (ms since the epoch) at which `onDeadline` is due. */
  readonly deadline: number;
  /** Called once `deadline` has passed; `due` is the moment deadlines are compared with. */
  onDeadline(due: number): void;
  closeIfIdle(): void;
  abort(): void;
}

const READ_BYTES = 16 * 1024;
/** A sink that grew past this for one response is replaced by a small one afterwards. */
const SINK_KEEP_BYTES = 64 * 1024;
/** Batched responses beyond this size are written without waiting for the batch to end. */
const SINK_FLUSH_BYTES = 64 * 1024;
const LINGER_BYTES = 256 * 1024;

export interface ConnectionContext {
  readonly settings: ConnectionSettings;
  readonly handler: RequestHandler;
  readonly logger: Logger;
  /** True once the server is shutting down: answer in-flight requests with `connection: close`. */
  readonly draining: boolean;
  /**
   * A coarse clock (ms since the epoch) refreshed by the server's deadline sweeper, so the
   * per-request path reads a number instead of the system clock. Deadlines set from it are
   * checked against a clock held back by one sweep interval, so a timeout never fires early.
   */
  readonly now: number;
}

export class HttpConnection implements TrackedConnection {
  readonly parser: RequestParser;
  #phase: Phase = Phase.Head;
  /** Deadline of the read side (see Phase). */
  #readDeadline: number;
  /** Deadline of the write in progress; Infinity when none. A client that stops reading is dropped. */
  #writeDeadline = Infinity;

  readonly #conn: Deno.Conn;
  readonly #context: ConnectionContext;
  readonly #settings: ConnectionSettings;
  readonly #remoteAddress: string;
  readonly #secure: boolean;
  #sink = new ByteSink();
  #spare = new ByteSink();
  #pendingWrite: Promise<void> | null = null;
  #writeError: unknown = null;
  #closed = false;
  /** Settled by abort(): ends serve() even while a handler is still running. */
  readonly #aborted = Promise.withResolvers<void>();
  /** A 408 was sent from the sweeper; what the peer still sends is read and dropped. */
  #timedOut = false;
  #headStarted = false;
  #info: { -readonly [K in keyof ExchangeInfo]: ExchangeInfo[K] };
  /** A body broke its framing (malformed, too slow, too large): close after answering. */
  #framingBroken = false;

  constructor(conn: Deno.Conn, context: ConnectionContext, secure: boolean) {
    this.#conn = conn;
    this.#context = context;
    this.#settings = context.settings;
    this.#secure = secure;
    this.#remoteAddress = formatAddress(conn.remoteAddr);
    this.parser = new RequestParser(context.settings.limits);
    this.#readDeadline = this.#context.now + this.#settings.headerTimeoutMs;
    this.#info = {
      headRequest: false,
      minorVersion: 1,
      keepAlive: true,
      keepAliveTimeoutSeconds: context.settings.keepAliveTimeoutSeconds,
      nowMs: context.now,
    };
  }

  get deadline(): number {
    return Math.min(this.#readDeadline, this.#writeDeadline);
  }

  get remoteAddress(): string {
    return this.#remoteAddress;
  }

  /**
   * Serves requests until the connection ends. Never throws, and settles once `abort()` is
   * called even if a handler never does.
   */
  serve(): Promise<void> {
    return Promise.race([this.#run(), this.#aborted.promise]);
  }

  async #run(): Promise<void> {
    try {
      await this.#loop();
      await this.#flush();
    } catch (error) {
      if (!this.#closed && !isConnectionGone(error)) {
        this.#context.logger.error("connection failed", { remote: this.#remoteAddress, error: String(error) });
      }
    } finally {
      this.#close();
    }
  }

  async #loop(): Promise<void> {
    const parser = this.parser;
    for (;;) {
      let event;
      try {
        event = parser.next();
      } catch (error) {
        if (error instanceof ProtocolError) return this.#refuse(error);
        throw error;
      }
      if (event === NEED_DATA) {
        // Send the batch before reading on (measured cheaper than overlapping the two). The common
        // case, one write taking the whole batch, is inlined: each async hop costs per request.
        const sink = this.#sink;
        if (this.#pendingWrite === null && sink.length > 0) {
          const batch = sink.view();
          this.#writeDeadline = this.#context.now + this.#settings.writeTimeoutMs;
          const written = await this.#conn.write(batch);
          if (written < batch.length) await this.#writeAll(batch.subarray(written));
          this.#writeDeadline = Infinity;
          sink.reset();
        } else if (this.#pendingWrite !== null) {
          await this.#flush();
        }
        if (this.#closed) return;
        if (this.#context.draining && parser.isIdle) return;
        this.#armReadDeadline();
        const n = await this.#conn.read(parser.reserve(READ_BYTES));
        if (this.#timedOut) return this.#dropInput();
        if (n === null) {
          // The peer closed. A half-received head can still be answered: it may only have shut its write side.
          if (parser.isReceivingHead) return this.#refuse(new ProtocolError(400, "incomplete request head"));
          return;
        }
        parser.commit(n);
        continue;
      }
      if (event.type !== "head") throw new Error(`unexpected ${event.type} event between requests`);
      this.#headStarted = false;
      const keepOpen = this.#exchange(event.head);
      if (keepOpen === false || (keepOpen !== true && !(await keepOpen))) return;
    }
  }

  /**
   * One request/response exchange. Returns whether the connection stays open, synchronously
   * when the handler answered synchronously and nothing else needs waiting for.
   */
  #exchange(head: RequestHead): boolean | Promise<boolean> {
    let body: ExchangeBody = EMPTY_BODY;
    if (head.framing === "none") {
      // Only the end marker follows a body-less head; take it now.
      if (this.parser.next().type !== "end") throw new Error("expected the end of a body-less request");
    } else {
      body = new IncomingBody(head, this);
    }
    const request = new IncomingRequest(head, body, this.#remoteAddress, this.#secure);
    this.#setPhase(Phase.Handler, Infinity);
    let result;
    try {
      result = this.#context.handler(request);
    } catch (error) {
      return this.#respond(this.#failureResponse(head, error), head, body);
    }
    if (result instanceof Promise) return this.#awaitHandler(result, head, body);
    return this.#respond(result, head, body);
  }

  async #awaitHandler(pending: Promise<HttpResponse>, head: RequestHead, body: ExchangeBody): Promise<boolean> {
    // Let queued responses go out while the handler works.
    this.#kickWriter();
    let response: HttpResponse;
    try {
      response = await pending;
    } catch (error) {
      response = this.#failureResponse(head, error);
    }
    return await this.#respond(response, head, body);
  }

  /** The response for a handler that threw. A ProtocolError means the body broke its framing. */
  #failureResponse(head: RequestHead, error: unknown): HttpResponse {
    if (error instanceof ProtocolError) {
      // The body was malformed, too slow, or grew too large: the connection cannot continue.
      if (!this.#timedOut) this.#logRefusal(error);
      this.#framingBroken = true;
      return errorResponse(error.status, error.message);
    }
    if (!this.#closed) this.#logHandlerError(head, error);
    return INTERNAL_ERROR;
  }

  #respond(response: HttpResponse, head: RequestHead, body: ExchangeBody): boolean | Promise<boolean> {
    if (this.#closed || this.#timedOut) {
      // Nobody will read this response: release what it holds (an open file, say).
      if (response.body instanceof ReadableStream) response.body.cancel().catch(() => {});
      body.close();
      return this.#timedOut ? this.#dropInput().then(() => false) : false;
    }
    const keepAlive = head.keepAlive && !this.#context.draining && !this.#framingBroken;
    if (keepAlive && !body.tryFinishSync()) return this.#respondAfterDiscard(response, head, body);
    body.close();
    return this.#send(response, head, body, keepAlive);
  }

  /**
   * The handler left body unread. Without a 100 Continue the client may never send it;
   * a small rest is read and dropped, a large one costs the connection.
   */
  async #respondAfterDiscard(response: HttpResponse, head: RequestHead, body: ExchangeBody): Promise<boolean> {
    const keepAlive = body.clientMaySend && await this.#discard(body);
    body.close();
    if (this.#closed || this.#timedOut) return this.#respond(response, head, body);
    return await this.#send(response, head, body, keepAlive);
  }

  #send(response: HttpResponse, head: RequestHead, body: ExchangeBody, keepAlive: boolean): boolean | Promise<boolean> {
    const outcome = this.#serialize(response, head, keepAlive);
    if (outcome.stream !== null) return this.#sendStream(outcome, body);
    if (this.#sink.length >= SINK_FLUSH_BYTES) this.#kickWriter();
    if (!outcome.keepAlive) return this.#finish(!body.consumed || this.parser.bufferedBytes > 0).then(() => false);
    return true;
  }

  async #sendStream(outcome: WriteOutcome, body: ExchangeBody): Promise<boolean> {
    if (!(await this.#pump(outcome.stream!, outcome.framing, outcome.length))) return false;
    if (!outcome.keepAlive) {
      await this.#finish(!body.consumed || this.parser.bufferedBytes > 0);
      return false;
    }
    return true;
  }

  /** Appends the response to the sink; a response the writer refuses becomes a 500. */
  #serialize(response: HttpResponse, head: RequestHead, keepAlive: boolean): WriteOutcome {
    // One ExchangeInfo per connection, refilled per response: the writer only reads it.
    const info = this.#info;
    info.headRequest = head.method === "HEAD";
    info.minorVersion = head.minorVersion;
    info.keepAlive = keepAlive;
    info.nowMs = this.#context.now;
    const mark = this.#sink.length;
    try {
      return writeResponse(this.#sink, response, info);
    } catch (error) {
      this.#sink.truncate(mark);
      this.#logHandlerError(head, error);
      return writeResponse(this.#sink, INTERNAL_ERROR, info);
    }
  }

  async #discard(body: ExchangeBody): Promise<boolean> {
    try {
      return await body.discard(this.#settings.maxDiscardBytes);
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof BodyUsedError) return false;
      throw error;
    }
  }

  /**
   * Sends a streamed body: chunked, of a declared length, or close-delimited. Returns
   * false when the connection had to end (the stream failed or broke its declared length).
   */
  async #pump(stream: ReadableStream<Uint8Array>, framing: StreamFraming, length: number): Promise<boolean> {
    const reader = stream.getReader();
    let sent = 0;
    let failure: string | null = null;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.#closed) break;
        sent += value.length;
        if (framing === "length" && sent > length) {
          failure = "response stream longer than its content-length";
          break;
        }
        if (framing === "chunked") writeChunk(this.#sink, value);
        else this.#sink.bytes(value);
        await this.#flush();
      }
      if (failure === null && framing === "length" && sent < length && !this.#closed) {
        failure = "response stream shorter than its content-length";
      }
    } catch (error) {
      if (isConnectionGone(error)) throw error;
      failure = `response stream failed: ${String(error)}`;
    } finally {
      reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    if (failure !== null) {
      // The head is gone already. Ending the connection without completing the body is the
      // only way left to tell the client that what it received is not the whole response.
      this.#context.logger.error(failure, { remote: this.#remoteAddress });
      this.#sink.reset();
      return false;
    }
    if (framing === "chunked") writeLastChunk(this.#sink);
    this.#sink.shrinkTo(SINK_KEEP_BYTES);
    return true;
  }

  // ── BodySource ─────────────────────────────────────────────────────────────

  async fillForBody(): Promise<boolean> {
    this.#setPhase(Phase.Body, this.#context.now + this.#settings.bodyTimeoutMs);
    const more = await this.#fillRaw();
    if (this.#timedOut) throw new ProtocolError(408, "request body timed out");
    this.#setPhase(Phase.Handler, Infinity);
    return more;
  }

  async sendContinue(): Promise<void> {
    writeInterim(this.#sink, 100);
    await this.#flush();
  }

  // ── Reading and writing ────────────────────────────────────────────────────

  /** Before a read between or inside heads: keep-alive timeout when idle, else the header timeout. */
  #armReadDeadline(): void {
    if (this.parser.isIdle) {
      this.#setPhase(Phase.Idle, this.#context.now + this.#settings.keepAliveTimeoutMs);
      this.#headStarted = false;
    } else if (!this.#headStarted) {
      // The header timeout runs from the first byte of the head, not from the last read.
      this.#setPhase(Phase.Head, this.#context.now + this.#settings.headerTimeoutMs);
      this.#headStarted = true;
    }
  }

  #setPhase(phase: Phase, readDeadline: number): void {
    this.#phase = phase;
    this.#readDeadline = readDeadline;
  }

  async #fillRaw(): Promise<boolean> {
    const region = this.parser.reserve(READ_BYTES);
    const n = await this.#conn.read(region);
    if (n === null) return false;
    this.parser.commit(n);
    return true;
  }

  /**
   * Makes sure everything queued gets written, in order, without waiting for it: one write
   * at a time, and whatever was queued meanwhile goes out when the previous write is done.
   */
  #kickWriter(): void {
    if (this.#pendingWrite !== null || this.#sink.length === 0 || this.#closed) return;
    const sink = this.#sink;
    this.#sink = this.#spare;
    this.#spare = sink;
    this.#pendingWrite = this.#writeAll(sink.view()).then(
      () => {
        sink.reset();
        sink.shrinkTo(SINK_KEEP_BYTES);
        this.#pendingWrite = null;
        this.#kickWriter();
      },
      (error) => {
        this.#writeError = error;
        this.#pendingWrite = null;
        // The read side may be parked waiting for a peer that is gone.
        this.#close();
      },
    );
  }

  /** Writes everything queued, in order, and waits until it is written. */
  async #flush(): Promise<void> {
    // Through the writer, which takes the queued bytes before it awaits: a concurrent kick
    // (an async handler) then finds nothing left to send twice.
    this.#kickWriter();
    while (this.#pendingWrite !== null) await this.#pendingWrite;
    if (this.#writeError !== null) throw this.#writeError;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    const timeout = this.#settings.writeTimeoutMs;
    this.#writeDeadline = this.#context.now + timeout;
    // conn.write may take only part of the buffer.
    let offset = await this.#conn.write(bytes);
    while (offset < bytes.length) {
      this.#writeDeadline = this.#context.now + timeout;
      offset += await this.#conn.write(bytes.subarray(offset));
    }
    this.#writeDeadline = Infinity;
  }

  // ── Ending ─────────────────────────────────────────────────────────────────

  /** Answers a protocol violation and closes: after one, the framing cannot be trusted. */
  async #refuse(error: ProtocolError): Promise<void> {
    this.#logRefusal(error);
    writeResponse(this.#sink, errorResponse(error.status, error.message), {
      headRequest: false,
      minorVersion: 1,
      keepAlive: false,
      keepAliveTimeoutSeconds: 0,
      nowMs: this.#context.now,
    });
    await this.#finish(true);
  }

  /**
   * Sends what is queued and closes. With `unreadInput`, the write side is shut first and
   * incoming bytes are dropped for a moment: closing with unread input makes the kernel
   * send a reset, which can destroy the response before the client reads it.
   */
  async #finish(unreadInput: boolean): Promise<void> {
    await this.#flush();
    if (!unreadInput || this.#closed) return;
    this.#setPhase(Phase.Linger, this.#context.now + this.#settings.lingerMs);
    try {
      await this.#conn.closeWrite();
      const scratch = new Uint8Array(READ_BYTES);
      let dropped = 0;
      while (dropped < LINGER_BYTES) {
        const n = await this.#conn.read(scratch);
        if (n === null) break;
        dropped += n;
      }
    } catch (error) {
      if (!isConnectionGone(error)) throw error;
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
  }

  // ── TrackedConnection ──────────────────────────────────────────────────────

  onDeadline(due: number): void {
    if (this.#closed) return;
    const phase = this.#phase;
    if (this.#writeDeadline > due && !this.#timedOut && (phase === Phase.Head || phase === Phase.Body)) {
      this.#context.logger.warn("request timed out", {
        remote: this.#remoteAddress,
        status: 408,
        phase: phase === Phase.Head ? "head" : "body",
      });
      // The loop is parked in a read. Answer from here, after any write in progress, then shut
      // the write side; the loop drops whatever still arrives until the peer closes or the
      // linger deadline passes, so the 408 is not destroyed by a reset.
      this.#timedOut = true;
      this.#setPhase(Phase.Linger, due + this.#settings.lingerMs);
      const conn = this.#conn;
      const previous = this.#pendingWrite ?? Promise.resolve();
      previous
        .then(() => this.#writeAll(closingErrorBytes(408)))
        .then(() => conn.closeWrite())
        .catch(() => this.#close());
      return;
    }
    this.#close();
  }

  closeIfIdle(): void {
    if (this.#phase === Phase.Idle) this.#close();
  }

  abort(): void {
    this.#close();
    this.#aborted.resolve();
  }

  /** After a timeout: read and drop input until the peer closes (or the linger deadline cuts it). */
  async #dropInput(): Promise<void> {
    const scratch = new Uint8Array(READ_BYTES);
    let dropped = 0;
    while (dropped < LINGER_BYTES && (await this.#conn.read(scratch)) !== null) dropped += READ_BYTES;
  }

  // ── Logging ────────────────────────────────────────────────────────────────

  #logRefusal(error: ProtocolError): void {
    this.#context.logger.warn("request refused", {
      remote: this.#remoteAddress,
      status: error.status,
      reason: error.message,
    });
  }

  #logHandlerError(head: RequestHead, error: unknown): void {
    this.#context.logger.error("handler failed", {
      method: head.method,
      path: head.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}

export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the peer or by a timeout.
  }
}

function formatAddress(addr: Deno.Addr): string {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return addr.hostname.includes(":") ? `[${addr.hostname}]:${addr.port}` : `${addr.hostname}:${addr.port}`;
  }
  return addr.transport;
}

/** Errors that only mean the peer (or a timeout) ended the connection. */
export function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.UnexpectedEof ||
    // A TLS handshake with something that is not TLS (plain HTTP on the TLS port, scanners).
    error instanceof Deno.errors.InvalidData ||
    (error instanceof Error && /tls|handshake|certificate/i.test(error.message));
}
