/** `deno task migrate`: applies the migrations not yet recorded to the configured database. */
import { ConfigError, loadConfig } from "../config.ts";
import { loadEnv } from "../env.ts";
import { migrate, readMigrations } from "../db/migrate.ts";
import { openDatabase } from "../db/open.ts";
import { MIGRATIONS_DIR } from "../start.ts";

if (import.meta.main) {
  try {
    // Migrations need no JWT secret: development mode lets one be generated and unused.
    const config = loadConfig(loadEnv(), "development");
    const db = await openDatabase(config.database);
    try {
      const applied = await migrate(db, await readMigrations(MIGRATIONS_DIR));
      console.log(
        applied.length === 0
          ? `${db.kind} ${db.location}: up to date`
          : `${db.kind} ${db.location}: applied ${applied.join(", ")}`,
      );
    } finally {
      await db.close();
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`h1server: ${error.message}`);
    Deno.exit(1);
  }
}
