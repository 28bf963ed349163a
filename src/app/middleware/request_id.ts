/**
 * Request ids: a sane incoming `x-request-id` is kept (so ids follow a request across
 * services), anything else is replaced by a new one. Every response carries it.
 */
import type { Middleware } from "../compose.ts";

/** Up to 128 characters of letters, digits and `-_.:@/+=`: safe to log and to echo. */
const SANE_ID = /^[A-Za-z0-9\-_.:@\/+=]{1,128}$/;

/** Process-unique ids without a syscall: a random prefix per process and a counter. */
const prefix = crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
let counter = 0;

export function newRequestId(): string {
  return `${prefix}-${(++counter).toString(36)}`;
}

export function requestId(): Middleware {
  return (ctx, next) => {
    const incoming = ctx.req.header("x-request-id");
    ctx.requestId = incoming !== null && SANE_ID.test(incoming) ? incoming : newRequestId();
    // Safe by construction (generated, or matched SANE_ID): no need to re-check it when written.
    ctx.trustedHeader("x-request-id", ctx.requestId);
    return next();
  };
}
