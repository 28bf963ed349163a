/** Builds the application from configuration and starts serving it. */
import { isAbsolute, join } from "node:path";
import { createApp } from "./app/app.ts";
import { pipeline } from "./app/pipeline.ts";
import { parseRoutesFile } from "./app/routes_file.ts";
import { StaticFiles } from "./app/static_files.ts";
import { type Config, PROJECT_ROOT } from "./config.ts";
import { HANDLERS } from "./handlers/registry.ts";
import type { Logger } from "./log.ts";
import { HttpServer } from "./server/server.ts";

export interface Running {
  readonly server: HttpServer;
  /** The start-up line: address, TLS, database, routes. */
  readonly summary: string;
}

export function start(config: Config, logger: Logger): Running {
  const routes = parseRoutesFile(Deno.readTextFileSync(config.routesFile), new Set(Object.keys(HANDLERS)));
  const mount = routes.static;
  const root = config.webRootDir ?? (isAbsolute(mount.root) ? mount.root : join(PROJECT_ROOT, mount.root));
  const app = createApp({
    routes,
    handlers: HANDLERS,
    middleware: pipeline({
      logger,
      maxJsonBytes: config.maxJsonBytes,
      corsOrigins: config.corsOrigins,
      corsCredentials: config.corsCredentials,
      compressionMinBytes: config.compressionMinBytes,
    }),
    staticFiles: new StaticFiles({ root, mount: mount.mount, cacheControl: mount.cacheControl, ...config.static }),
  });
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
