/**
 * Embedded (PGlite) databases that live exactly as long as one test.
 *
 * PGlite implements PostgreSQL's timeouts with setTimeout. Its idle-stats flush timer (10 s)
 * is armed by the first statements and then re-arms itself, from its own callback, for as
 * long as the database is used. A database kept open across tests therefore trips Deno's op
 * sanitizer in whichever test happens to be running when the timer fires or is re-armed
 * ("a timer was started before the test, but completed during the test"). Closing the
 * database clears the timer, so a database opened and closed inside one test is clean.
 *
 * Starting PGlite from nothing takes 1–2 s (initdb in WebAssembly). So two templates are made
 * once, when this module loads (outside any test): an empty cluster and a migrated one, on
 * disk (in /dev/shm when available). Each test copies one (~40 ms on tmpfs) and opens the copy (~150 ms) with the project's own
 * `openEmbedded(dataDir)`, the DATA_DIR mode production uses by default.
 */
import { join } from "node:path";
import type { Database } from "../../src/db/database.ts";
import { openEmbedded } from "../../src/db/embedded.ts";
import { openEmbeddedThreaded } from "../../src/db/embedded_threaded.ts";
import { migrate, readMigrations } from "../../src/db/migrate.ts";
import { MIGRATIONS_DIR } from "../../src/start.ts";

/** Memory-backed /dev/shm when there is one: the copies are tens of MB of small files. */
async function tempRoot(): Promise<string> {
  try {
    return await Deno.makeTempDir({ dir: "/dev/shm", prefix: "h1server-pglite-" });
  } catch {
    return await Deno.makeTempDir({ prefix: "h1server-pglite-" });
  }
}

const root = await tempRoot();
// Removed when the test worker ends, whatever the tests did.
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch {
    // Already gone.
  }
});

async function makeTemplate(name: string, migrated: boolean): Promise<string> {
  const dir = join(root, name);
  const db = await openEmbedded(dir);
  try {
    if (migrated) await migrate(db, await readMigrations(MIGRATIONS_DIR));
  } finally {
    await db.close();
  }
  return dir;
}

const EMPTY = await makeTemplate("empty", false);
const MIGRATED = await makeTemplate("migrated", true);
let copies = 0;

export interface EmbeddedOptions {
  /** Start from the migrated template (default) or from an empty cluster. */
  readonly migrated?: boolean;
  /** Open it on its own thread, as the server does (openEmbeddedThreaded), rather than in-process. */
  readonly threaded?: boolean;
}

/** A private embedded database, open until `close()` (which also deletes its files). */
export interface TestEmbedded extends AsyncDisposable {
  readonly db: Database;
  readonly dataDir: string;
  close(): Promise<void>;
}

export async function openTestEmbedded(options: EmbeddedOptions = {}): Promise<TestEmbedded> {
  const dataDir = join(root, `copy-${++copies}`);
  const template = (options.migrated ?? true) ? MIGRATED : EMPTY;
  const { success, stderr } = await new Deno.Command("cp", {
    args: ["-a", template, dataDir],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`copying the PGlite template failed: ${new TextDecoder().decode(stderr)}`);
  let db: Database;
  try {
    db = options.threaded ? await openEmbeddedThreaded(dataDir) : await openEmbedded(dataDir);
  } catch (error) {
    await Deno.remove(dataDir, { recursive: true });
    throw error;
  }
  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      try {
        await db.close();
      } finally {
        await Deno.remove(dataDir, { recursive: true });
      }
    })();
  return { db, dataDir, close, [Symbol.asyncDispose]: close };
}

/** Runs `work` on a private embedded database, closed and deleted afterwards. */
export async function withTestEmbedded<T>(
  work: (db: Database) => Promise<T>,
  options: EmbeddedOptions = {},
): Promise<T> {
  await using embedded = await openTestEmbedded(options);
  return await work(embedded.db);
}
