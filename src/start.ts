/** Builds the application from configuration and starts serving it. */
import { isAbsolute, join } from "node:path";
import { createApp } from "./app/app.ts";
import { pipeline } from "./app/pipeline.ts";
import { parseRoutesFile } from "./app/routes_file.ts";
import { StaticFiles } from "./app/static_files.ts";
import { InlineHasher, type PasswordHasher, WorkerPoolHasher } from "./auth/passwords.ts";
import { TokenService } from "./auth/tokens.ts";
import { type Config, PROJECT_ROOT } from "./config.ts";
import { type Database, DatabaseUnavailableError } from "./db/database.ts";
import { openDatabase } from "./db/open.ts";
import { LoginThrottle } from "./db/login_throttle.ts";
import { migrate, readMigrations } from "./db/migrate.ts";
import { UserRepository } from "./db/users.ts";
import { HANDLERS } from "./handlers/registry.ts";
import type { Logger } from "./log.ts";
import { HttpServer } from "./server/server.ts";
import type { Services } from "./services.ts";

export const MIGRATIONS_DIR: string = join(PROJECT_ROOT, "migrations");

/** While the database is unreachable at start-up, migrations are retried this often. */
const MIGRATION_RETRY_MS = 2000;

export interface Running {
  readonly server: HttpServer;
  readonly services: Services;
  /** The start-up line: address, TLS, database, routes. */
  readonly summary: string;
  /** Stops serving (gracefully), then the password workers and the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Use this database instead of opening the configured one (tests share one embedded instance). */
  readonly database?: Database;
  /** Use this hasher instead of a worker pool. */
  readonly passwords?: PasswordHasher;
}

export async function start(config: Config, logger: Logger, options: StartOptions = {}): Promise<Running> {
  const routes = parseRoutesFile(Deno.readTextFileSync(config.routesFile), new Set(Object.keys(HANDLERS)));
  const migrations = await readMigrations(MIGRATIONS_DIR);
  const db = options.database ?? await openDatabase(config.database);
  const { passwordWorkers, bcryptCost } = config.auth;
  const passwords = options.passwords ??
    (passwordWorkers === 0 ? new InlineHasher(bcryptCost) : new WorkerPoolHasher(passwordWorkers, bcryptCost));

  // Migrations must have run before the data routes work. An unreachable database does not
  // stop start-up: static files and the rest are served, data routes answer 503, and the
  // migrations are retried until the database is back.
  let migrated = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  // Set by close(): an attempt still in flight then must not arm another retry.
  let closed = false;
  const runMigrations = async (): Promise<void> => {
    try {
      const applied = await migrate(db, migrations);
      migrated = true;
      if (applied.length > 0) logger.info("migrations applied", { versions: applied.join(",") });
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      if (closed) return;
      logger.warn("database unavailable; retrying migrations", { retry_ms: MIGRATION_RETRY_MS });
      retry = setTimeout(
        () => runMigrations().catch((e) => logger.error("migrations failed", { error: String(e) })),
        MIGRATION_RETRY_MS,
      );
    }
  };
  await runMigrations();

  const dummyHash = await passwords.hash(crypto.randomUUID());
  const services: Services = {
    db,
    users: new UserRepository(db),
    throttle: new LoginThrottle(db, {
      freeFailures: config.auth.loginFreeFailures,
      baseLockSeconds: 1,
      maxLockSeconds: config.auth.loginMaxLockSeconds,
    }),
    tokens: new TokenService(config.auth),
    passwords,
    dummyHash,
    auth: config.auth,
    ready: () => {
      if (!migrated) throw new DatabaseUnavailableError();
    },
  };

  const mount = routes.static;
  const root = config.webRootDir ?? (isAbsolute(mount.root) ? mount.root : join(PROJECT_ROOT, mount.root));
  const app = createApp({
    routes,
    handlers: HANDLERS,
    services,
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
    ` (tls: ${server.secure ? "on" : "off"}, database: ${db.kind} ${db.location}, routes: ${app.router.size})`;

  const close = async () => {
    closed = true;
    clearTimeout(retry);
    await server.shutdown();
    if (options.passwords === undefined) passwords.close();
    if (options.database === undefined) await db.close();
  };
  return { server, services, summary, close };
}
