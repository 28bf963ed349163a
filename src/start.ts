/** Builds the application from configuration and starts serving it. */
import { createApp } from "./app/app.ts";
import { parseRoutes } from "./app/routes_file.ts";
import { StaticFiles } from "./app/static_files.ts";
import type { Config } from "./config.ts";
import { HANDLERS } from "./handlers/registry.ts";
import type { Logger } from "./log.ts";
import { HttpServer } from "./server/server.ts";

export interface Running {
  readonly server: HttpServer;
  /** The start-up line: address, TLS, database, routes. */
  readonly summary: string;
}

export function start(config: Config, logger: Logger): Running {
  const routes = parseRoutes(Deno.readTextFileSync(config.routesFile), new Set(Object.keys(HANDLERS)));
  const app = createApp({ routes, handlers: HANDLERS, staticFiles: new StaticFiles({ root: config.webRootDir }) });
  const tls = config.tls === null ? undefined : {
    cert: Deno.readTextFileSync(config.tls.certFile),
    key: Deno.readTextFileSync(config.tls.keyFile),
  };
  const server = new HttpServer({
    ...config.server,
    handler: app.handle,
    hostname: config.host,
    port: config.port,
    tls,
    logger,
  });
  const { hostname, port } = server.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const summary = `h1server listening on ${server.secure ? "https" : "http"}://${host}:${port}` +
    ` (tls: ${server.secure ? "on" : "off"}, database: none, routes: ${app.router.size})`;
  return { server, summary };
}
