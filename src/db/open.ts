/** The configured database: PostgreSQL when DATABASE_URL is set, else the embedded one. */
import type { DatabaseConfig } from "../config.ts";
import type { Database } from "./database.ts";
import { openEmbeddedThreaded } from "./embedded_threaded.ts";
import { connectPostgres } from "./postgres.ts";

/** DATA_DIR value that keeps the embedded database in memory (tests, throw-away runs). */
export const IN_MEMORY = ":memory:";

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.url !== null) return connectPostgres(config.url, { max: config.poolSize });
  // On its own thread: a query's WebAssembly work would otherwise stop the event loop.
  return await openEmbeddedThreaded(config.dataDir === IN_MEMORY ? null : config.dataDir);
}
