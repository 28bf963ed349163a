/**
 * An error with an HTTP status, thrown by handlers and middleware. Its message is shown to
 * the client only when `expose` is true (the default for 4xx); otherwise the client sees the
 * status's reason phrase and the message stays in the log.
 */
import type { HeaderInit } from "../http/header_block.ts";
import { reasonPhrase } from "../http/status.ts";

export interface HttpErrorOptions {
  /** Whether `message` is safe to show to the client. Defaults to status < 500. */
  readonly expose?: boolean;
  /** Extra response fields, e.g. `allow` for 405 or `retry-after` for 503. */
  readonly headers?: HeaderInit;
  readonly cause?: unknown;
}

export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly expose: boolean;
  readonly headers: HeaderInit | undefined;

  constructor(status: number, message: string = reasonPhrase(status), options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers;
  }

  /** The message the client may see. */
  get publicMessage(): string {
    return this.expose ? this.message : reasonPhrase(this.status);
  }
}

/**
 * Errors from other layers that carry an HTTP meaning without depending on this module
 * (e.g. the database being unreachable → 503) set `httpStatus` (and optionally
 * `httpHeaders`); their message is exposed.
 */
export interface HttpMeaning {
  readonly httpStatus: number;
  readonly httpHeaders?: HeaderInit;
  readonly message: string;
}

export function toHttpError(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (typeof error === "object" && error !== null && typeof (error as HttpMeaning).httpStatus === "number") {
    const meaning = error as HttpMeaning;
    return new HttpError(meaning.httpStatus, meaning.message, {
      headers: meaning.httpHeaders,
      expose: true,
      cause: error,
    });
  }
  return null;
}
