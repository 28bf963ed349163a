/**
 * The full application as `main.ts` starts it: `start(loadConfig(env), logger)` on
 * 127.0.0.1, a free port, and a temporary web root holding copies of webroot/ plus
 * files that must never be served (dotfiles, a secret next to the root). The launcher
 * itself is in app_core.ts; this module adds the shared embedded database.
 */
import type { Database } from "../../src/db/database.ts";
import { openEmbedded } from "../../src/db/embedded.ts";
import { migrate, readMigrations } from "../../src/db/migrate.ts";
import { MIGRATIONS_DIR, type StartOptions } from "../../src/start.ts";
import { type AppFiles, launchApp, type TestApp } from "./app_core.ts";

export { type AppFiles, SECRET, TEST_HASHER, TEST_JWT_SECRET, type TestApp } from "./app_core.ts";

/**
 * One embedded database (in memory) shared by the apps of a test file: starting PostgreSQL in
 * WebAssembly takes seconds. Tests that share it use their own usernames. It is opened and
 * migrated when this module loads, outside any test: the first DDL makes PGlite arm an
 * internal timer that the op sanitizer would otherwise pin on whichever test came first.
 * (That timer is PostgreSQL's 10 s idle-stats flush and it re-arms itself while the database
 * is used: a test file that runs longer than about 10 s should use helpers/embedded.ts.)
 */
const sharedDatabase: Database = await openEmbedded(null);
await migrate(sharedDatabase, await readMigrations(MIGRATIONS_DIR));
export function sharedTestDatabase(): Promise<Database> {
  return Promise.resolve(sharedDatabase);
}

export async function startApp(
  env: Record<string, string> = {},
  files: AppFiles = {},
  options: StartOptions = {},
): Promise<TestApp> {
  return await launchApp(env, files, { ...options, database: options.database ?? await sharedTestDatabase() });
}
