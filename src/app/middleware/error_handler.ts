/**
 * Turns every error into a response: HttpError and protocol errors keep their status and
 * (exposed) message; anything else is a 500 with the request id and no internals. The stack
 * goes to the log, never to the client.
 */
import { ProtocolError } from "../../http/errors.ts";
import type { Logger } from "../../log.ts";
import { DONE, type Middleware } from "../compose.ts";
import type { Context } from "../context.ts";
import { renderError } from "../error_page.ts";
import { HttpError, toHttpError } from "../http_error.ts";

export function errorHandler(logger: Logger): Middleware {
  const render = (ctx: Context, error: unknown): void => {
    let httpError: HttpError;
    const known = toHttpError(error);
    if (known !== null) {
      httpError = known;
      if (known !== error) {
        // Another layer's known condition (the database being down): one line, no stack.
        logger.warn("request not served", {
          request_id: ctx.requestId,
          path: ctx.req.path,
          status: known.status,
          reason: known.message,
        });
      } else if (known.status >= 500) {
        logFailure(logger, ctx.requestId, ctx.req.method, ctx.req.path, error);
      }
    } else if (error instanceof ProtocolError) {
      // The request body broke the protocol while a handler read it; the engine closes the connection.
      httpError = new HttpError(error.status, error.message);
    } else {
      logFailure(logger, ctx.requestId, ctx.req.method, ctx.req.path, error);
      httpError = new HttpError(500);
    }
    ctx.res = renderError(ctx, httpError);
  };
  return (ctx, next) => {
    let pending: Promise<void>;
    try {
      pending = next();
    } catch (error) {
      render(ctx, error);
      return DONE;
    }
    // A chain that finished synchronously stays synchronous.
    return pending === DONE ? DONE : pending.catch((error) => render(ctx, error));
  };
}

function logFailure(logger: Logger, requestId: string, method: string, path: string, error: unknown): void {
  logger.error("request failed", {
    request_id: requestId,
    method,
    path,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
}
