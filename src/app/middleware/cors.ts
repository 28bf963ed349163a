/**
 * CORS (Fetch standard, "CORS protocol") for a configured list of exact origins.
 *
 * A request with an allowed `Origin` gets `access-control-allow-origin: <that origin>` (plus
 * `access-control-expose-headers`, and `access-control-allow-credentials` when configured); a
 * request with any other origin gets no CORS fields: an origin that is not allowed is never
 * reflected. Either way the response depends on `Origin`, so it says `vary: origin`.
 * The fields are added before `next()`, so error responses carry them too (a page can read
 * the error).
 *
 * Preflights (OPTIONS with Origin and Access-Control-Request-Method) are answered here without
 * running the rest of the chain: 204 with the allowed methods, headers and max-age for an
 * allowed origin; 403 (thrown as HttpError, rendered by the error handler) for any other. A
 * 403 says plainly what happened, and the browser would refuse a pass-through answer anyway.
 *
 * `origins: ["*"]` allows any origin, only without credentials (browsers refuse `*` with them):
 * every response then carries `access-control-allow-origin: *`, and none needs `vary: origin`
 * (the Fetch standard's advice for a static value). An empty list turns CORS off.
 *
 * Per request without `Origin`: one header lookup. With an allowed origin: a Map lookup and a
 * prebuilt HeaderBlock.
 */
import { TOKEN } from "../../http/chars.ts";
import { HeaderBlock } from "../../http/header_block.ts";
import { DONE, type Middleware } from "../compose.ts";
import type { Context } from "../context.ts";
import { HttpError } from "../http_error.ts";

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), or `["*"]`. Empty: CORS off. */
  readonly origins: readonly string[];
  /** Send `access-control-allow-credentials: true` (cookies, Authorization). Not with `*`. */
  readonly credentials?: boolean;
  /** Methods a preflight allows. */
  readonly methods?: readonly string[];
  /**
   * Request headers a preflight allows. By default the ones the preflight asks for are echoed
   * when they are plain field names.
   */
  readonly allowHeaders?: readonly string[];
  /** Response fields a page may read besides the CORS-safelisted ones. */
  readonly exposeHeaders?: readonly string[];
  /** How long (seconds) a browser may cache a preflight answer. */
  readonly maxAge?: number;
}

export const DEFAULT_METHODS: readonly string[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
export const DEFAULT_EXPOSE_HEADERS: readonly string[] = ["x-request-id"];
/** Ten minutes; Chromium caps preflight caching at two hours anyway. */
export const DEFAULT_MAX_AGE = 600;
/** Longest access-control-request-headers value that is echoed. */
const MAX_ECHO_CHARS = 1024;

export class CorsConfigError extends Error {
  override name = "CorsConfigError";
}

/**
 * Validates and normalises a list of origins: `*` alone, or `http(s)://host[:port]` each
 * (lowercased, default port dropped, a trailing slash tolerated) — the way browsers serialise
 * `Origin`. Throws CorsConfigError naming the bad entry.
 */
export function normalizeOrigins(list: readonly string[]): string[] {
  const origins = list.map((origin) => origin.trim()).filter((origin) => origin !== "");
  if (origins.includes("*")) {
    if (origins.length > 1) throw new CorsConfigError("* must be the only origin when it is used");
    return ["*"];
  }
  return [...new Set(origins.map(normalizeOrigin))];
}

function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new CorsConfigError(`origin ${JSON.stringify(origin)} is not a URL like https://app.example.com`);
  }
  const plain = url.username === "" && url.password === "" && url.pathname === "/" && url.search === "" &&
    url.hash === "" && !/[?#]/.test(origin);
  if ((url.protocol !== "https:" && url.protocol !== "http:") || !plain) {
    throw new CorsConfigError(
      `origin ${JSON.stringify(origin)} must be scheme://host[:port] (http or https, no path)`,
    );
  }
  return url.origin;
}

/** Parses a comma-separated origin list (CORS_ORIGINS). */
export function parseOrigins(value: string): string[] {
  return normalizeOrigins(value.split(","));
}

interface OriginBlocks {
  /** For actual requests. */
  readonly actual: HeaderBlock;
  /** For a preflight's 204. */
  readonly preflight: HeaderBlock;
}

const PASS: Middleware = (_ctx, next) => next();

export function cors(options: CorsOptions): Middleware {
  const origins = normalizeOrigins(options.origins);
  if (origins.length === 0) return PASS;
  const credentials = options.credentials ?? false;
  if (credentials && origins[0] === "*") {
    throw new CorsConfigError("origin * cannot be used with credentials; list the origins");
  }
  const methods = options.methods ?? DEFAULT_METHODS;
  const exposeHeaders = options.exposeHeaders ?? DEFAULT_EXPOSE_HEADERS;
  const allowHeaders = options.allowHeaders ?? null;
  const maxAge = options.maxAge ?? DEFAULT_MAX_AGE;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new CorsConfigError("maxAge must be a whole number of seconds");
  for (const name of [...methods, ...exposeHeaders, ...(allowHeaders ?? [])]) {
    if (!isToken(name)) throw new CorsConfigError(`${JSON.stringify(name)} is not a method or field name`);
  }

  const blocksFor = (origin: string): OriginBlocks => {
    const common: [string, string][] = [["access-control-allow-origin", origin]];
    if (credentials) common.push(["access-control-allow-credentials", "true"]);
    const actual: [string, string][] = [...common];
    if (exposeHeaders.length > 0) actual.push(["access-control-expose-headers", exposeHeaders.join(", ")]);
    const preflight: [string, string][] = [
      ...common,
      ["access-control-allow-methods", methods.join(", ")],
      ["access-control-max-age", String(maxAge)],
    ];
    if (allowHeaders !== null) preflight.push(["access-control-allow-headers", allowHeaders.join(", ")]);
    return { actual: new HeaderBlock(actual), preflight: new HeaderBlock(preflight) };
  };

  /** Answers an allowed preflight: 204, nothing below runs. */
  const preflight = (ctx: Context, blocks: OriginBlocks): void => {
    ctx.headerBlock(blocks.preflight);
    if (allowHeaders === null) {
      const requested = ctx.req.header("access-control-request-headers");
      if (requested !== null) {
        ctx.vary("access-control-request-headers");
        const names = echoableNames(requested);
        // Lowercase tokens joined by ", ": safe to write unchecked.
        if (names !== null) ctx.trustedHeader("access-control-allow-headers", names);
      }
    }
    ctx.status(204);
  };

  if (origins[0] === "*") {
    const any = blocksFor("*");
    return (ctx, next) => {
      if (isPreflight(ctx) && ctx.req.header("origin") !== null) {
        preflight(ctx, any);
        return DONE;
      }
      ctx.headerBlock(any.actual);
      return next();
    };
  }

  const allowed = new Map(origins.map((origin) => [origin, blocksFor(origin)]));
  // Not async: without Origin this hands over to the next middleware without a frame of its own.
  return (ctx, next) => {
    const origin = ctx.req.header("origin");
    if (origin === null) return next();
    ctx.vary("origin");
    const blocks = allowed.get(origin);
    if (isPreflight(ctx)) {
      if (blocks === undefined) throw new HttpError(403, "Origin not allowed");
      preflight(ctx, blocks);
      return DONE;
    }
    if (blocks !== undefined) ctx.headerBlock(blocks.actual);
    return next();
  };
}

function isPreflight(ctx: Context): boolean {
  return ctx.req.method === "OPTIONS" && ctx.req.header("access-control-request-method") !== null;
}

/** The requested names, lowercased and joined, when every one is a plain field name; else null. */
export function echoableNames(requested: string): string | null {
  if (requested.length > MAX_ECHO_CHARS) return null;
  const names: string[] = [];
  for (const part of requested.split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "") continue;
    if (!isToken(name)) return null;
    names.push(name);
  }
  return names.length === 0 ? null : names.join(", ");
}

function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x7f || TOKEN[c] !== 1) return false;
  }
  return true;
}
