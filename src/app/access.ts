/**
 * Who may call a handler, as metadata on the handler function itself: wrappers such as
 * `protectedRoute(handler, { roles })` attach it, and `deno task routes` reads it.
 */
import type { Handler } from "./app.ts";

export interface HandlerAccess {
  /** Roles of which the caller needs one; empty means any authenticated caller. */
  readonly roles: readonly string[];
}

const ACCESS = Symbol("h1server.access");

type Annotated = Handler & { [ACCESS]?: HandlerAccess };

export function markProtected<H extends Handler>(handler: H, access: HandlerAccess): H {
  (handler as Annotated)[ACCESS] = Object.freeze({ roles: [...access.roles] });
  return handler;
}

/** The access rule of a handler, or null for a public one. */
export function accessOf(handler: Handler): HandlerAccess | null {
  return (handler as Annotated)[ACCESS] ?? null;
}
