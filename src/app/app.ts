/**
 * The application: middleware around a router, with static files behind the routes.
 *
 * Per request: a Context is made, the middleware chain runs (its order is declared in
 * pipeline.ts), and the endpoint routes the request — a handler from routes.json, an
 * OPTIONS or 405 answer, a static file for GET/HEAD, or an error. Errors are thrown as
 * HttpError and rendered by the error-handling middleware (JSON under /api, a small HTML
 * page elsewhere).
 */
import { reasonPhrase } from "../http/status.ts";
import type { HttpRequest, HttpResponse } from "../http/message.ts";
import { compose, DONE, type Middleware } from "./compose.ts";
import { Context } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { renderError } from "./error_page.ts";
import { isApiPath } from "./paths.ts";
import { Router } from "./router.ts";
import type { RouteEntry, RoutesFile } from "./routes_file.ts";
import type { Services } from "../services.ts";

export type Handler = (ctx: Context) => HttpResponse | void | Promise<HttpResponse | void>;

/** Serves the static mount. */
export interface StaticHandler {
  /**
   * The response for a GET or HEAD of `path` (the raw request path), or null when no file
   * answers it (the app then tries the SPA fallback, then 404).
   */
  serve(ctx: Context, path: string): Promise<HttpResponse | null>;
}

export interface AppOptions {
  readonly routes: RoutesFile;
  readonly handlers: Readonly<Record<string, Handler>>;
  readonly middleware?: readonly Middleware[];
  readonly staticFiles?: StaticHandler | null;
  /** Handed to every request as ctx.services. */
  readonly services?: Services;
}

export interface App {
  /** The engine's request handler. */
  handle(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
  readonly router: Router<Handler>;
}

/** Methods this server knows; any other is answered 501 (RFC 9110 §9.1). */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);
const STATIC_ALLOW = "GET, HEAD, OPTIONS";

export function createApp(options: AppOptions): App {
  const router = new Router<Handler>(options.routes.routes, (entry: RouteEntry) => options.handlers[entry.handler]);
  const staticFiles = options.staticFiles ?? null;
  const services = options.services;
  const { mount, spaFallback } = options.routes.static;
  const mountPrefix = mount === "/" ? "" : mount;

  /** Routes the request. Synchronous when the handler is; async only where it must wait. */
  const endpoint = (ctx: Context): Promise<void> | void => {
    const { method, path } = ctx.req;
    if (!KNOWN_METHODS.has(method)) throw new HttpError(501, "Not Implemented");
    const match = router.match(method, path);
    switch (match.kind) {
      case "handler": {
        ctx.route = match.entry;
        ctx.req.params = match.params;
        const result = match.handler(ctx);
        if (result instanceof Promise) return result.then((response) => settle(ctx, response));
        return settle(ctx, result);
      }
      case "options":
        ctx.status(204, [["allow", match.allow]]);
        return;
      case "method-not-allowed":
        throw new HttpError(405, "Method Not Allowed", { headers: [["allow", match.allow]] });
      case "bad-path":
        throw new HttpError(400, "Malformed percent-encoding in path");
    }
    if (path === "*" && method === "OPTIONS") return void ctx.status(204, [["allow", STATIC_ALLOW]]);
    // Trailing slashes are significant; a route reached with one more slash is redirected to its canonical path.
    if (path.length > 1 && path.endsWith("/") && router.match("GET", path.slice(0, -1)).kind !== "none") {
      const target = path.slice(0, -1) + (ctx.req.raw.query === "" ? "" : `?${ctx.req.raw.query}`);
      return void ctx.redirect(target, 308);
    }
    if (isApiPath(path) || staticFiles === null || !(path === mount || path.startsWith(`${mountPrefix}/`))) {
      throw new HttpError(404, "Not Found");
    }
    if (method === "OPTIONS") return void ctx.status(204, [["allow", STATIC_ALLOW]]);
    if (method !== "GET" && method !== "HEAD") {
      throw new HttpError(405, "Method Not Allowed", { headers: [["allow", STATIC_ALLOW]] });
    }
    return serveStatic(ctx, staticFiles, path);
  };

  const serveStatic = async (ctx: Context, files: StaticHandler, path: string): Promise<void> => {
    const file = await files.serve(ctx, path);
    if (file !== null) return void ctx.send(file);
    // A single-page app routes on the client: unknown non-file paths get its index.html.
    if (spaFallback && !/\.[A-Za-z0-9]+$/.test(path)) {
      const index = await files.serve(ctx, `${mountPrefix}/`);
      if (index !== null) return void ctx.send(index);
    }
    throw new HttpError(404, "Not Found");
  };

  const run = compose(options.middleware ?? [], endpoint);

  /** Synchronous when the whole chain was (see compose.ts); a promise otherwise. */
  const handle = (request: HttpRequest): HttpResponse | Promise<HttpResponse> => {
    const ctx = new Context(request, services);
    let pending: Promise<void>;
    try {
      pending = run(ctx);
    } catch (error) {
      return fail(ctx, error);
    }
    if (pending === DONE) return ctx.finish(NO_RESPONSE);
    return pending.then(() => ctx.finish(NO_RESPONSE), (error) => fail(ctx, error));
  };

  return { handle, router };
}

/** Last resort when no error-handling middleware is installed: a rendered error, never internals. */
function fail(ctx: Context, error: unknown): HttpResponse {
  ctx.res = renderError(ctx, error instanceof HttpError ? error : new HttpError(500));
  return ctx.finish(NO_RESPONSE);
}

/** Records what a handler returned; a handler must return or set a response. */
function settle(ctx: Context, result: HttpResponse | void): void {
  if (result !== undefined) ctx.res = result;
  if (ctx.res === null) throw new Error(`handler ${ctx.route?.handler} produced no response`);
}

const NO_RESPONSE: HttpResponse = Object.freeze({ status: 500, body: `500 ${reasonPhrase(500)}\n` });
