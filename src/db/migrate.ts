/**
 * Migrations: `migrations/NNN_name.sql`, applied in order, each in its own transaction and
 * recorded in `schema_migrations`. Each transaction first takes an advisory lock, so two
 * instances starting together apply every migration exactly once: the second waits, then
 * sees it recorded. Running again is a no-op.
 */
import { join } from "node:path";
import type { Database } from "./database.ts";

/** Arbitrary, fixed: the advisory lock that serialises migrations ("h1" "mig"). */
const MIGRATION_LOCK = 0x6831_6d69;
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly sql: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** The migrations in `dir`, in order. Refuses stray or duplicate version numbers. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const found: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || entry.name.startsWith(".")) continue;
    const match = FILE_NAME.exec(entry.name);
    if (match === null) throw new MigrationError(`migrations: unexpected file ${entry.name} (want NNN_name.sql)`);
    found.push({ version: match[1], name: match[2], sql: await Deno.readTextFile(join(dir, entry.name)) });
  }
  found.sort((a, b) => a.version.localeCompare(b.version));
  for (let i = 1; i < found.length; i++) {
    if (found[i].version === found[i - 1].version) {
      throw new MigrationError(`migrations: version ${found[i].version} is used twice`);
    }
  }
  return found;
}

/** Applies the migrations not yet recorded; returns the versions applied by this call. */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (" +
          "version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [migration.version]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}
