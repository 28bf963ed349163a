/**
 * The application: routes from routes.json first, then static files for GET and HEAD.
 * API paths (/api/...) answer errors as JSON; other paths as plain text.
 */
import { HeaderBlock } from "../http/header_block.ts";
import type { HttpRequest, HttpResponse, RequestHandler } from "../http/message.ts";
import { reasonPhrase } from "../http/status.ts";
import { jsonError } from "./responses.ts";
import { Router } from "./router.ts";
import type { RouteEntry } from "./routes_file.ts";
import type { StaticFiles } from "./static_files.ts";

export interface AppOptions {
  readonly routes: readonly RouteEntry[];
  readonly handlers: Readonly<Record<string, RequestHandler>>;
  readonly staticFiles: StaticFiles | null;
}

/** Methods this server knows; any other method is answered 501 (RFC 9110 §9.1). */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);
const STATIC_ALLOW = "GET, HEAD, OPTIONS";

export interface App {
  readonly handle: RequestHandler;
  readonly router: Router;
}

export function createApp(options: AppOptions): App {
  const router = new Router(options.routes, options.handlers);
  const staticFiles = options.staticFiles;

  const handle = (request: HttpRequest): HttpResponse | Promise<HttpResponse> => {
    const { method, path } = request;
    const match = router.match(method, path);
    switch (match.kind) {
      case "handler":
        return match.handler(request);
      case "options":
        return { status: 204, headers: [["allow", match.allow]] };
      case "method-not-allowed":
        return errorFor(path, 405, [["allow", match.allow]]);
    }
    if (!KNOWN_METHODS.has(method)) return errorFor(path, 501);
    if (path === "*" && method === "OPTIONS") return { status: 204, headers: [["allow", STATIC_ALLOW]] };
    if (path.startsWith("/api/") || path === "/api" || staticFiles === null) return errorFor(path, 404);
    if (method === "GET" || method === "HEAD") return staticFiles.respond(request);
    if (method === "OPTIONS") return { status: 204, headers: [["allow", STATIC_ALLOW]] };
    return errorFor(path, 405, [["allow", STATIC_ALLOW]]);
  };

  return { handle, router };
}

const TEXT = new HeaderBlock([["content-type", "text/plain; charset=utf-8"], ["x-content-type-options", "nosniff"]]);

function errorFor(path: string, status: number, extra: [string, string][] = []): HttpResponse {
  const message = reasonPhrase(status);
  if (path.startsWith("/api/") || path === "/api") {
    return jsonError(status, message, extra.length === 0 ? undefined : jsonHeaders(extra));
  }
  return { status, headers: extra.length === 0 ? TEXT : TEXT.with(extra), body: `${status} ${message}\n` };
}

function jsonHeaders(extra: [string, string][]): HeaderBlock {
  return new HeaderBlock([["content-type", "application/json; charset=utf-8"], ...extra]);
}
