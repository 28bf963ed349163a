/**
 * `protectedRoute(handler, { roles })`: the decorator-style wrapper for handlers that need a
 * signed-in caller. It reads the bearer token from the Authorization field (never from the
 * query string), verifies it, loads the user — a token whose user no longer exists is
 * refused — checks the role, puts the user on `ctx.state.user`, and only then runs the
 * handler. Failures are 401 with `WWW-Authenticate: Bearer` (with `error="invalid_token"`
 * when a token was sent) or 403 for a missing role. `deno task routes` shows the wrapper.
 */
import { markProtected } from "../app/access.ts";
import type { Handler } from "../app/app.ts";
import type { Context } from "../app/context.ts";
import { HttpError } from "../app/http_error.ts";
import { NO_STORE } from "../app/responses.ts";
import type { Role, User } from "../db/users.ts";
import { TokenError } from "./tokens.ts";

export interface ProtectionOptions {
  /** The caller needs one of these roles; none listed: any signed-in user. */
  readonly roles?: readonly Role[];
}

const REALM = 'Bearer realm="h1server"';
const NO_TOKEN = [["www-authenticate", REALM]] as [string, string][];
const BAD_TOKEN = [["www-authenticate", `${REALM}, error="invalid_token"`]] as [string, string][];
const FORBIDDEN = [["www-authenticate", `${REALM}, error="insufficient_scope"`]] as [string, string][];

/** `Bearer <credentials>` (the scheme is case-insensitive, RFC 9110 §11.1). */
const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;
/** A compact JWS: three base64url parts, the signature not empty (an unsigned token never verifies). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The user a protected handler runs for. */
export function currentUser(ctx: Context): User {
  const user = ctx.state.user as User | undefined;
  if (user === undefined) throw new Error("currentUser() outside a protectedRoute handler");
  return user;
}

export function protectedRoute(handler: Handler, options: ProtectionOptions = {}): Handler {
  const roles = options.roles ?? [];
  const guarded: Handler = async (ctx) => {
    const header = ctx.req.header("authorization");
    if (header === null) throw new HttpError(401, "Authentication required", { headers: NO_TOKEN });
    const match = BEARER.exec(header);
    // Another scheme, or "Bearer" without a token, carries no bearer token: a plain challenge (RFC 6750 §3.1).
    if (match === null) throw new HttpError(401, "Authorization must be a Bearer token", { headers: NO_TOKEN });
    // A token that cannot be a signed JWT is malformed, which RFC 6750 calls invalid_token.
    if (!COMPACT_JWS.test(match[1])) throw new HttpError(401, "Invalid or expired token", { headers: BAD_TOKEN });

    const { tokens, users } = ctx.services;
    let subject: string;
    try {
      subject = (await tokens.verify(match[1])).sub;
    } catch (error) {
      if (error instanceof TokenError) throw new HttpError(401, "Invalid or expired token", { headers: BAD_TOKEN });
      throw error;
    }
    ctx.services.ready();
    const user = await users.findById(subject);
    if (user === null) throw new HttpError(401, "Invalid or expired token", { headers: BAD_TOKEN });
    if (roles.length > 0 && !roles.includes(user.role)) {
      throw new HttpError(403, "Forbidden", { headers: FORBIDDEN });
    }
    ctx.state.user = user;
    // What a protected handler answers is about its caller: never kept by a cache.
    ctx.headerBlock(NO_STORE);
    return await handler(ctx);
  };
  return markProtected(guarded, { roles });
}
