/**
 * Body parsing policy: `ctx.req.json()` accepts only JSON content types (415 otherwise),
 * refuses bodies over the limit before reading them (413), and answers invalid JSON with 400.
 * Parsing is lazy: a handler that never reads the body costs nothing.
 */
import type { Middleware } from "../compose.ts";

export function bodyParser(options: { maxBytes: number }): Middleware {
  return (ctx, next) => {
    ctx.req.maxReadBytes = options.maxBytes;
    return next();
  };
}
