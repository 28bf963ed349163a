/**
 * routes.json: the single list of routes. Accepted shapes:
 *   { "version": 1, "routes": [ { "method": "GET", "path": "/api/health", "handler": "health.show" } ] }
 *   [ { "method": "GET", "path": "/api/health", "handler": "health.show" } ]   (flat list)
 * Validated at start-up; a bad entry stops the server with a message naming it.
 */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
  readonly handler: string;
}

export class RoutesFileError extends Error {
  override name = "RoutesFileError";
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function parseRoutes(text: string, knownHandlers: ReadonlySet<string>): RouteEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new RoutesFileError(`routes.json is not valid JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(document) ? document : (document as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(document)) {
    const version = (document as { version?: unknown } | null)?.version;
    if (version !== 1) throw new RoutesFileError(`routes.json: unsupported version ${JSON.stringify(version)}`);
  }
  if (!Array.isArray(list)) throw new RoutesFileError("routes.json: expected a list of routes");

  const seen = new Set<string>();
  return list.map((entry, index) => {
    const where = `routes.json entry ${index}`;
    if (typeof entry !== "object" || entry === null) throw new RoutesFileError(`${where}: expected an object`);
    const { method, path, handler } = entry as Record<string, unknown>;
    if (typeof method !== "string" || !METHODS.has(method)) {
      throw new RoutesFileError(`${where}: unknown method ${JSON.stringify(method)}`);
    }
    if (typeof path !== "string" || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@\/-]*$/.test(path) || path.includes("//")) {
      throw new RoutesFileError(`${where}: bad path ${JSON.stringify(path)}`);
    }
    if (typeof handler !== "string" || !knownHandlers.has(handler)) {
      throw new RoutesFileError(`${where}: unknown handler ${JSON.stringify(handler)}`);
    }
    const key = `${method} ${path}`;
    if (seen.has(key)) throw new RoutesFileError(`${where}: duplicate route ${key}`);
    seen.add(key);
    return Object.freeze({ method, path, handler });
  });
}
