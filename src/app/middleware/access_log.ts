/**
 * The access log: one line per request with method, path, status, body bytes, duration,
 * request id and client address. Human text or JSON lines (LOG_FORMAT). The query string
 * and all request fields are left out, so Authorization, cookies, passwords and tokens can
 * never end up in it.
 */
import type { Logger } from "../../log.ts";
import type { Middleware } from "../compose.ts";
import type { Context } from "../context.ts";

export function accessLog(logger: Logger): Middleware {
  // With info lines off, the layer is a plain call.
  if (!logger.enabled("info")) return (_ctx, next) => next();
  const write = (ctx: Context) => {
    logger.access({
      method: ctx.req.method,
      path: ctx.req.path,
      status: ctx.res?.status ?? 500,
      bytes: bodyBytes(ctx),
      // Millisecond resolution, like most access logs; Date.now() costs no system call.
      ms: Date.now() - ctx.startedAt,
      id: ctx.requestId,
      remote: ctx.req.raw.remoteAddress,
    });
  };
  return (ctx, next) => {
    ctx.startedAt = Date.now();
    // Written once the final response is known, error pages included.
    ctx.beforeSend(write);
    return next();
  };
}

/** Bytes of the response body when known ("-" for streams, whose length shows only on the wire). */
function bodyBytes(ctx: Context): number | "-" {
  const body = ctx.res?.body ?? null;
  if (body === null) return 0;
  if (body instanceof Uint8Array) return body.length;
  if (typeof body === "string") return utf8Length(body);
  return "-";
}

export function utf8Length(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) i++, bytes += 2; // a surrogate pair is 4 bytes for 2 code units
    else bytes += 2;
  }
  return bytes;
}
