/**
 * The embedded default: PostgreSQL 17 compiled to WebAssembly (PGlite), in a folder under
 * DATA_DIR or in memory. Same SQL and migrations as the real server, no set-up. It has a
 * single connection: PGlite queues queries itself, and a transaction holds the connection
 * until it ends.
 */
import { PGlite } from "@electric-sql/pglite";
import type { Database, Queryable, Row } from "./database.ts";

/** Opens (creating if needed) the embedded database in `dataDir`, or in memory when null. */
export async function openEmbedded(dataDir: string | null): Promise<Database> {
  if (dataDir !== null) await Deno.mkdir(dataDir, { recursive: true });
  const db = new PGlite(dataDir ?? undefined);
  await db.waitReady;
  const query = async <T extends Row = Row>(text: string, params: readonly unknown[] = []) =>
    (await db.query<T>(text, params as unknown[])).rows;
  return {
    kind: "embedded",
    location: dataDir ?? "memory",
    query,
    exec: async (text) => void await db.exec(text),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) =>
      db.transaction((tx) =>
        work({
          query: async <R extends Row = Row>(text: string, params: readonly unknown[] = []) =>
            (await tx.query<R>(text, params as unknown[])).rows,
          exec: async (text) => void await tx.exec(text),
        })
      ),
    close: () => db.close(),
  };
}
