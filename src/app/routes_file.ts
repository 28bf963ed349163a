/**
 * routes.json: the single source of truth for routes and the static mount.
 *
 *   {
 *     "version": 1,
 *     "static": { "mount": "/", "root": "webroot", "spaFallback": false,
 *                 "cacheControl": [{ "match": "*.html", "value": "no-cache" }] },
 *     "routes": [{ "method": "GET", "path": "/api/users/:id", "handler": "users.show" }]
 *   }
 *
 * A flat list of route entries (the seed's format) is accepted too. Everything is validated
 * at start-up; a bad entry stops the server with a message naming the entry and the problem.
 */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
  readonly handler: string;
}

export interface CacheRule {
  /** "*" (everything), "*.ext" (by extension), "/prefix/*" (by folder) or an exact path. */
  readonly match: string;
  readonly value: string;
}

export interface StaticMount {
  /** URL prefix the web root is served under ("/" or "/something"). */
  readonly mount: string;
  /** Folder, relative to the project root unless absolute (WEB_ROOT_DIR overrides it). */
  readonly root: string;
  /** Serve index.html for unknown GET paths outside /api (single-page apps). */
  readonly spaFallback: boolean;
  /** First matching rule wins; files matching none get no cache-control. */
  readonly cacheControl: readonly CacheRule[];
}

export interface RoutesFile {
  readonly routes: readonly RouteEntry[];
  readonly static: StaticMount;
}

export class RoutesFileError extends Error {
  override name = "RoutesFileError";
}

export const ROUTE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export const DEFAULT_CACHE_RULES: readonly CacheRule[] = Object.freeze([
  { match: "*.html", value: "no-cache" },
  { match: "*", value: "public, max-age=3600" },
]);

const DEFAULT_STATIC: StaticMount = Object.freeze({
  mount: "/",
  root: "webroot",
  spaFallback: false,
  cacheControl: DEFAULT_CACHE_RULES,
});

/** A path pattern: literal segments, `:name` segments, and an optional final `*` or `*name`. */
const SEGMENT = /^(?:[A-Za-z0-9._~!$&'()+,;=@-]+|:[A-Za-z_][A-Za-z0-9_]*)$/;
const WILDCARD = /^\*(?:[A-Za-z_][A-Za-z0-9_]*)?$/;

export function validatePattern(path: string): string | null {
  if (!path.startsWith("/")) return "must start with /";
  if (path === "/") return null;
  const segments = path.slice(1).split("/");
  const names = new Set<string>();
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (WILDCARD.test(segment)) {
      if (i !== segments.length - 1) return "a * wildcard must be the last segment";
    } else if (!SEGMENT.test(segment)) {
      return segment === "" ? "empty segment (double or trailing slash)" : `bad segment ${JSON.stringify(segment)}`;
    }
    const name = segment.startsWith(":") ? segment.slice(1) : segment.startsWith("*") ? segment.slice(1) : "";
    if (name !== "" && names.has(name)) return `parameter ${name} appears twice`;
    if (name !== "") names.add(name);
  }
  return null;
}

export function parseRoutesFile(text: string, knownHandlers: ReadonlySet<string>): RoutesFile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new RoutesFileError(`routes.json is not valid JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(document)) return { routes: parseEntries(document, knownHandlers), static: DEFAULT_STATIC };
  if (typeof document !== "object" || document === null) {
    throw new RoutesFileError("routes.json: expected an object with version and routes, or a list of routes");
  }
  const { version, routes, static: mount } = document as Record<string, unknown>;
  if (version !== 1) throw new RoutesFileError(`routes.json: unsupported version ${JSON.stringify(version)}`);
  if (!Array.isArray(routes)) throw new RoutesFileError("routes.json: routes must be a list");
  return { routes: parseEntries(routes, knownHandlers), static: parseStatic(mount) };
}

/** The route entries alone (either format). */
export function parseRoutes(text: string, knownHandlers: ReadonlySet<string>): RouteEntry[] {
  return [...parseRoutesFile(text, knownHandlers).routes];
}

function parseEntries(list: unknown[], knownHandlers: ReadonlySet<string>): RouteEntry[] {
  const seen = new Set<string>();
  return list.map((entry, index) => {
    const where = `routes.json entry ${index}`;
    if (typeof entry !== "object" || entry === null) throw new RoutesFileError(`${where}: expected an object`);
    const { method, path, handler } = entry as Record<string, unknown>;
    if (typeof method !== "string" || !ROUTE_METHODS.has(method)) {
      throw new RoutesFileError(`${where}: unknown method ${JSON.stringify(method)}`);
    }
    const problem = typeof path === "string" ? validatePattern(path) : "must be a string";
    if (problem !== null) throw new RoutesFileError(`${where}: bad path ${JSON.stringify(path)}: ${problem}`);
    if (typeof handler !== "string" || !knownHandlers.has(handler)) {
      throw new RoutesFileError(`${where}: unknown handler ${JSON.stringify(handler)}`);
    }
    // Patterns that differ only in parameter names match the same requests.
    const key = `${method} ${(path as string).replace(/:[A-Za-z0-9_]+/g, ":").replace(/\*\w*$/, "*")}`;
    if (seen.has(key)) throw new RoutesFileError(`${where}: duplicate route ${method} ${path}`);
    seen.add(key);
    return Object.freeze({ method, path: path as string, handler });
  });
}

function parseStatic(value: unknown): StaticMount {
  if (value === undefined) return DEFAULT_STATIC;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RoutesFileError("routes.json static: expected an object");
  }
  const { mount = "/", root = "webroot", spaFallback = false, cacheControl = DEFAULT_CACHE_RULES } = value as Record<
    string,
    unknown
  >;
  if (typeof mount !== "string" || !/^\/(?:[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)?$/.test(mount)) {
    throw new RoutesFileError(`routes.json static.mount: bad mount ${JSON.stringify(mount)}`);
  }
  if (typeof root !== "string" || root === "") throw new RoutesFileError("routes.json static.root: expected a folder");
  if (typeof spaFallback !== "boolean") {
    throw new RoutesFileError("routes.json static.spaFallback: expected true/false");
  }
  if (!Array.isArray(cacheControl)) throw new RoutesFileError("routes.json static.cacheControl: expected a list");
  const rules = cacheControl.map((rule, index) => {
    const { match, value } = (rule ?? {}) as Record<string, unknown>;
    if (typeof match !== "string" || !/^(?:\*|\*\.[\w.-]+|\/[^*]*\*?)$/.test(match)) {
      throw new RoutesFileError(`routes.json static.cacheControl ${index}: bad match ${JSON.stringify(match)}`);
    }
    if (typeof value !== "string" || value === "" || /[\r\n]/.test(value)) {
      throw new RoutesFileError(`routes.json static.cacheControl ${index}: bad value`);
    }
    return Object.freeze({ match, value });
  });
  return Object.freeze({ mount, root, spaFallback, cacheControl: Object.freeze(rules) });
}
