/**
 * The server: accepts TCP or TLS connections, hands each to a connection driver,
 * enforces the connection limit and the deadlines, and shuts down gracefully.
 */
import type { RequestHandler } from "../http/message.ts";
import { type Logger, silentLogger } from "../log.ts";
import { closeQuietly, HttpConnection, isConnectionGone } from "./connection.ts";
import { closingErrorBytes } from "./error_response.ts";
import { resolveSettings, type ServerSettings, type SettingsOverrides } from "./settings.ts";

export interface TlsFiles {
  /** PEM certificate chain. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
}

export interface ServerOptions extends SettingsOverrides {
  readonly handler: RequestHandler;
  readonly hostname?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly tls?: TlsFiles;
  readonly logger?: Logger;
}

/**
 * Longest pause between deadline sweeps; shorter timeouts sweep more often. The sweep also
 * refreshes the coarse clock, so this bounds how stale the `date` field can be.
 */
const MAX_SWEEP_INTERVAL_MS = 500;
const MIN_SWEEP_INTERVAL_MS = 10;
/** Pause after a failed accept (e.g. out of file descriptors) before trying again. */
const ACCEPT_BACKOFF_MS = 50;

export class HttpServer {
  readonly settings: ServerSettings;
  readonly addr: Deno.NetAddr;
  readonly secure: boolean;
  /** Settles when the server has stopped and every connection has ended. */
  readonly finished: Promise<void>;

  readonly #listener: Deno.Listener;
  readonly #handler: RequestHandler;
  readonly #logger: Logger;
  readonly #connections = new Set<HttpConnection>();
  readonly #tasks = new Set<Promise<void>>();
  #draining = false;
  #sweeper: ReturnType<typeof setInterval>;
  #sweepIntervalMs: number;
  /** The coarse clock read by connections (see ConnectionContext.now). */
  now: number = Date.now();
  #overload: Uint8Array;

  constructor(options: ServerOptions) {
    this.settings = resolveSettings(options);
    this.#handler = options.handler;
    this.#logger = options.logger ?? silentLogger;
    const hostname = options.hostname ?? "0.0.0.0";
    const port = options.port ?? 8080;
    this.secure = options.tls !== undefined;
    this.#listener = options.tls
      ? Deno.listenTls({ hostname, port, cert: options.tls.cert, key: options.tls.key })
      : Deno.listen({ hostname, port });
    this.addr = this.#listener.addr as Deno.NetAddr;
    this.#overload = closingErrorBytes(503);

    const { keepAliveTimeoutMs, headerTimeoutMs, bodyTimeoutMs, writeTimeoutMs, lingerMs } = this.settings;
    const shortest = Math.min(keepAliveTimeoutMs, headerTimeoutMs, bodyTimeoutMs, writeTimeoutMs, lingerMs);
    const interval = Math.max(MIN_SWEEP_INTERVAL_MS, Math.min(MAX_SWEEP_INTERVAL_MS, Math.floor(shortest / 4)));
    this.#sweepIntervalMs = interval;
    this.#sweeper = setInterval(() => this.#sweep(), interval);

    this.finished = this.#acceptLoop();
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Whether shutdown has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Graceful shutdown: stop accepting, close idle connections, let requests in flight
   * finish (their responses say `connection: close`), and cut whatever is left when
   * the deadline passes. Resolves when everything has ended.
   */
  async shutdown(timeoutMs: number = this.settings.shutdownTimeoutMs): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      for (const connection of this.#connections) connection.closeIfIdle();
      const cutoff = setTimeout(() => {
        for (const connection of this.#connections) connection.abort();
      }, timeoutMs);
      try {
        await this.finished;
      } finally {
        clearTimeout(cutoff);
      }
    }
    await this.finished;
  }

  async #acceptLoop(): Promise<void> {
    try {
      for (;;) {
        let conn: Deno.Conn;
        try {
          conn = await this.#listener.accept();
        } catch (error) {
          if (this.#draining || error instanceof Deno.errors.BadResource) break;
          this.#logger.error("accept failed", { error: String(error) });
          await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
          continue;
        }
        this.#admit(conn);
      }
    } finally {
      while (this.#tasks.size > 0) await Promise.all(this.#tasks);
      clearInterval(this.#sweeper);
    }
  }

  #admit(conn: Deno.Conn): void {
    this.now = Date.now();
    if (this.#connections.size >= this.settings.maxConnections) {
      this.#logger.warn("connection refused: too many connections", { status: 503 });
      this.#track(refuseOverloaded(conn, this.#overload, this.settings.lingerMs));
      return;
    }
    let connection: HttpConnection;
    try {
      if (!this.secure) (conn as Deno.TcpConn).setNoDelay(true);
      connection = new HttpConnection(conn, this, this.secure);
    } catch (error) {
      // One connection's trouble (e.g. it is already gone) must not stop the server.
      if (!isConnectionGone(error)) this.#logger.error("connection setup failed", { error: String(error) });
      closeQuietly(conn);
      return;
    }
    this.#connections.add(connection);
    this.#track(connection.serve().finally(() => this.#connections.delete(connection)));
  }

  #track(task: Promise<void>): void {
    const tracked = task.finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  #sweep(): void {
    const now = Date.now();
    this.now = now;
    // Deadlines were computed from a clock up to one interval stale: hold the comparison
    // back by that much so that no timeout fires before its time.
    const due = now - this.#sweepIntervalMs;
    for (const connection of this.#connections) {
      if (connection.deadline <= due) connection.onDeadline(due);
    }
  }

  // ConnectionContext
  get handler(): RequestHandler {
    return this.#handler;
  }
  get logger(): Logger {
    return this.#logger;
  }
}

/**
 * Answers 503 to a connection over the limit. The write side is shut first and input is
 * dropped briefly before closing: closing with unread input would reset the connection and
 * could destroy the 503 before the client reads it.
 */
async function refuseOverloaded(conn: Deno.Conn, response: Uint8Array, lingerMs: number): Promise<void> {
  const cutoff = setTimeout(() => closeQuietly(conn), lingerMs);
  try {
    await conn.write(response);
    await conn.closeWrite();
    const scratch = new Uint8Array(4096);
    while ((await conn.read(scratch)) !== null) { /* dropped */ }
  } catch {
    // The peer went away, or the cutoff closed the connection.
  } finally {
    clearTimeout(cutoff);
    closeQuietly(conn);
  }
}
