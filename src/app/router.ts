/**
 * The router: exact paths, `:param` segments and a final `*` wildcard, with the HTTP
 * semantics every route gets for free — HEAD runs the GET handler, OPTIONS answers with
 * Allow, other methods get 405 with Allow.
 *
 * Matching works on path segments, each percent-decoded once after splitting on "/", so an
 * encoded slash stays inside its segment and can never create one. Literal segments win
 * over parameters, parameters over the wildcard. Trailing slashes are significant:
 * "/api/items/" is not "/api/items" (the app redirects such paths, see app.ts).
 */
import type { RouteEntry } from "./routes_file.ts";

/** A matched route for the method; `params` are decoded. */
export interface RouteFound<H> {
  readonly kind: "handler";
  readonly handler: H;
  readonly entry: RouteEntry;
  readonly params: Readonly<Record<string, string>>;
}

export type RouteMatch<H> =
  | RouteFound<H>
  | { readonly kind: "options"; readonly allow: string }
  | { readonly kind: "method-not-allowed"; readonly allow: string }
  | { readonly kind: "none" }
  /** A segment is not valid percent-encoding. */
  | { readonly kind: "bad-path" };

interface Endpoint<H> {
  readonly handler: H;
  readonly entry: RouteEntry;
  /** Parameter names in the order their segments appear. */
  readonly names: readonly string[];
}

/** One route path: its handlers by method and the answers that do not depend on the request. */
interface PathRoutes<H> {
  readonly byMethod: Map<string, Endpoint<H>>;
  readonly options: RouteMatch<H>;
  readonly notAllowed: RouteMatch<H>;
  /** Prebuilt results for a parameterless path, by method. */
  readonly found: Map<string, RouteFound<H>>;
}

interface Node<H> {
  readonly literal: Map<string, Node<H>>;
  param: Node<H> | null;
  wildcard: PathRoutes<H> | null;
  routes: PathRoutes<H> | null;
}

const NONE = Object.freeze({ kind: "none" as const });
const BAD_PATH = Object.freeze({ kind: "bad-path" as const });
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

function node<H>(): Node<H> {
  return { literal: new Map(), param: null, wildcard: null, routes: null };
}

export class Router<H> {
  readonly entries: readonly RouteEntry[];
  /** Parameterless paths by their literal text: most requests are answered from here. */
  readonly #exact = new Map<string, PathRoutes<H>>();
  readonly #root: Node<H> = node();

  constructor(entries: readonly RouteEntry[], resolve: (entry: RouteEntry) => H) {
    this.entries = entries;
    const grouped = new Map<string, RouteEntry[]>();
    for (const entry of entries) {
      const list = grouped.get(entry.path) ?? [];
      list.push(entry);
      grouped.set(entry.path, list);
    }
    for (const [path, list] of grouped) {
      const routes = buildPathRoutes(list, resolve);
      const segments = path === "/" ? [] : path.slice(1).split("/");
      let at = this.#root;
      let wildcard = false;
      for (const segment of segments) {
        if (segment.startsWith(":")) {
          at = at.param ??= node();
        } else if (segment.startsWith("*")) {
          wildcard = true;
        } else {
          let next = at.literal.get(segment);
          if (next === undefined) at.literal.set(segment, next = node());
          at = next;
        }
      }
      if (wildcard) at.wildcard = routes;
      else at.routes = routes;
      if (!segments.some((s) => s.startsWith(":") || s.startsWith("*"))) this.#exact.set(path, routes);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  match(method: string, rawPath: string): RouteMatch<H> {
    // Fast path: a literal path without percent-encoding is its own decoded form.
    const exact = this.#exact.get(rawPath);
    if (exact !== undefined && !rawPath.includes("%")) return answer(exact, method, null);

    const raw = rawPath === "/" ? [] : rawPath.slice(1).split("/");
    const segments: string[] = [];
    for (const segment of raw) {
      try {
        segments.push(decodeURIComponent(segment));
      } catch {
        return BAD_PATH;
      }
    }
    const values: string[] = [];
    const found = walk(this.#root, segments, 0, values);
    if (found === null) return NONE;
    return answer(found.routes, method, found.wildcard === null ? values : [...values, found.wildcard]);
  }
}

function buildPathRoutes<H>(list: RouteEntry[], resolve: (entry: RouteEntry) => H): PathRoutes<H> {
  const byMethod = new Map<string, Endpoint<H>>();
  for (const entry of list) {
    const names = entry.path.split("/").flatMap((s) =>
      s.startsWith(":") ? [s.slice(1)] : s.startsWith("*") ? [s.slice(1) || "*"] : []
    );
    byMethod.set(entry.method, { handler: resolve(entry), entry, names });
  }
  if (byMethod.has("GET") && !byMethod.has("HEAD")) byMethod.set("HEAD", byMethod.get("GET")!);
  const allow = [...new Set([...byMethod.keys(), "OPTIONS"])].sort().join(", ");
  const found = new Map<string, RouteFound<H>>();
  for (const [method, endpoint] of byMethod) {
    if (endpoint.names.length === 0) {
      found.set(
        method,
        Object.freeze({ kind: "handler", handler: endpoint.handler, entry: endpoint.entry, params: NO_PARAMS }),
      );
    }
  }
  return {
    byMethod,
    found,
    options: Object.freeze({ kind: "options", allow }),
    notAllowed: Object.freeze({ kind: "method-not-allowed", allow }),
  };
}

function answer<H>(routes: PathRoutes<H>, method: string, values: string[] | null): RouteMatch<H> {
  const endpoint = routes.byMethod.get(method);
  if (endpoint === undefined) return method === "OPTIONS" ? routes.options : routes.notAllowed;
  if (values === null || endpoint.names.length === 0) return routes.found.get(method)!;
  const params: Record<string, string> = {};
  endpoint.names.forEach((name, i) => params[name] = values[i]);
  return { kind: "handler", handler: endpoint.handler, entry: endpoint.entry, params };
}

/** Depth-first: literal, then parameter, then wildcard; backtracks when a branch dead-ends. */
function walk<H>(
  at: Node<H>,
  segments: string[],
  i: number,
  values: string[],
): { routes: PathRoutes<H>; wildcard: string | null } | null {
  // "/files/*" matches "/files/" and below, not "/files".
  if (i === segments.length) return at.routes === null ? null : { routes: at.routes, wildcard: null };
  const segment = segments[i];
  const literal = at.literal.get(segment);
  if (literal !== undefined) {
    const found = walk(literal, segments, i + 1, values);
    if (found !== null) return found;
  }
  // A parameter matches one non-empty segment.
  if (at.param !== null && segment !== "") {
    values.push(segment);
    const found = walk(at.param, segments, i + 1, values);
    if (found !== null) return found;
    values.pop();
  }
  if (at.wildcard !== null) return { routes: at.wildcard, wildcard: segments.slice(i).join("/") };
  return null;
}
