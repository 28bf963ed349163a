/** Handler-level servers for integration tests: a real HttpServer on 127.0.0.1, a free port. */
import type { HttpRequest, HttpResponse, RequestHandler } from "../../src/http/message.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { HttpServer, type ServerOptions } from "../../src/server/server.ts";

export type TestServerOptions = Omit<ServerOptions, "handler" | "hostname" | "port">;

/** A running server; `close()` (or `await using`) shuts it down and waits until it has finished. */
export interface TestServer extends AsyncDisposable {
  readonly server: HttpServer;
  readonly port: number;
  close(): Promise<void>;
}

export function startServer(handler: RequestHandler, options: TestServerOptions = {}): TestServer {
  const server = new HttpServer({ ...options, handler, hostname: "127.0.0.1", port: 0 });
  const close = () => server.shutdown();
  return { server, port: server.addr.port, close, [Symbol.asyncDispose]: close };
}

/** A logger that keeps its lines for assertions. */
export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: string[];
  /** Lines containing `text`. */
  matching(text: string): string[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  return {
    logger: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    lines,
    matching: (text) => lines.filter((line) => line.includes(text)),
  };
}

/**
 * Controls a request in flight: the handler calls `pass()`, which marks it entered and
 * waits until the test calls `release()`.
 */
export interface Gate {
  /** Resolves when a handler has reached `pass()`. */
  readonly entered: Promise<void>;
  pass(): Promise<void>;
  release(): void;
}

export function gate(): Gate {
  const entered = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  return {
    entered: entered.promise,
    pass: () => {
      entered.resolve();
      return released.promise;
    },
    release: () => released.resolve(),
  };
}

/**
 * Fails with `what` if `promise` has not settled within `ms`. A guard that turns a hang
 * into a failure; it never decides when something happens.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

export function text(status: number, body: string, headers: [string, string][] = []): HttpResponse {
  return { status, headers: [["content-type", "text/plain; charset=utf-8"], ...headers], body };
}

/** Answers `METHOD path` for GET-like requests and echoes the body of requests that have one. */
export async function echoHandler(request: HttpRequest): Promise<HttpResponse> {
  if (request.framing === "none") return text(200, `${request.method} ${request.target}`);
  return text(200, await request.body.text());
}
