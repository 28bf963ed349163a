/**
 * Exact-path router with the HTTP semantics every route gets for free:
 * HEAD runs the GET handler, OPTIONS answers with Allow, other methods get 405 + Allow.
 * Match results are built once per route, so matching allocates nothing.
 */
import type { RequestHandler } from "../http/message.ts";
import type { RouteEntry } from "./routes_file.ts";

export type RouteMatch =
  | { readonly kind: "handler"; readonly handler: RequestHandler; readonly entry: RouteEntry }
  | { readonly kind: "options"; readonly allow: string }
  | { readonly kind: "method-not-allowed"; readonly allow: string }
  | { readonly kind: "none" };

const NONE: RouteMatch = Object.freeze({ kind: "none" });

interface PathRoutes {
  readonly byMethod: ReadonlyMap<string, RouteMatch>;
  readonly options: RouteMatch;
  readonly notAllowed: RouteMatch;
}

export class Router {
  readonly #paths = new Map<string, PathRoutes>();
  readonly size: number;

  constructor(entries: readonly RouteEntry[], handlers: Readonly<Record<string, RequestHandler>>) {
    const grouped = new Map<string, Map<string, RouteMatch>>();
    for (const entry of entries) {
      let byMethod = grouped.get(entry.path);
      if (byMethod === undefined) grouped.set(entry.path, byMethod = new Map());
      byMethod.set(entry.method, Object.freeze({ kind: "handler", handler: handlers[entry.handler], entry }));
    }
    for (const [path, byMethod] of grouped) {
      if (byMethod.has("GET") && !byMethod.has("HEAD")) byMethod.set("HEAD", byMethod.get("GET")!);
      const allow = [...new Set([...byMethod.keys(), "OPTIONS"])].sort().join(", ");
      this.#paths.set(path, {
        byMethod,
        options: Object.freeze({ kind: "options", allow }),
        notAllowed: Object.freeze({ kind: "method-not-allowed", allow }),
      });
    }
    this.size = entries.length;
  }

  match(method: string, path: string): RouteMatch {
    const routes = this.#paths.get(path);
    if (routes === undefined) return NONE;
    return routes.byMethod.get(method) ?? (method === "OPTIONS" ? routes.options : routes.notAllowed);
  }
}
