/**
 * The embedded database on a thread of its own (embedded_worker.ts): the same PGlite and the
 * same `Database` interface as `openEmbedded()`, but a query's WebAssembly work no longer
 * stops the event loop, so requests that do not touch the database are not held up by those
 * that do. This is what the server uses; `openEmbedded()` stays for tools and tests that want
 * it in-process.
 */
import { type Database, type Queryable, type Row } from "./database.ts";
import type { EmbeddedReply, EmbeddedRequest, ErrorShape } from "./embedded_worker.ts";

/** An error from the database thread, with its SQLSTATE `code` (so isUniqueViolation() works). */
export class EmbeddedDatabaseError extends Error {
  readonly code?: string;
  constructor(shape: ErrorShape) {
    super(shape.message);
    this.name = shape.name;
    if (shape.code !== undefined) this.code = shape.code;
  }
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };
// Requests without their id (assigned here), one variant at a time.
type Outgoing = EmbeddedRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

/** Opens (creating if needed) the embedded database in `dataDir`, or in memory when null, on its own thread. */
export async function openEmbeddedThreaded(dataDir: string | null): Promise<Database> {
  if (dataDir !== null) await Deno.mkdir(dataDir, { recursive: true });
  // The worker's name carries the data directory: it is known before any message can arrive.
  const worker = new Worker(new URL("./embedded_worker.ts", import.meta.url), {
    type: "module",
    name: dataDir ?? ":memory:",
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | null = null;
  let opened!: Pending;
  const ready = new Promise((resolve, reject) => opened = { resolve, reject });

  const failAll = (error: Error) => {
    failure = error;
    opened.reject(error);
    for (const job of pending.values()) job.reject(error);
    pending.clear();
  };
  worker.onmessage = (event: MessageEvent<EmbeddedReply>) => {
    const reply = event.data;
    const job = reply.id === 0 ? opened : pending.get(reply.id);
    if (job === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) job.resolve(reply.value);
    else job.reject(new EmbeddedDatabaseError(reply.error));
  };
  // The thread died (out of memory, a bug): every caller gets an error, none waits forever.
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    failAll(new Error(`embedded database thread failed: ${event.message}`));
    worker.terminate();
  };

  const call = (request: Outgoing): Promise<unknown> => {
    if (failure !== null) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };
  const on = (tx?: number): Queryable => ({
    query: async <T extends Row = Row>(sql: string, params: readonly unknown[] = []) =>
      await call({ op: "query", sql, params, tx }) as T[],
    exec: async (sql: string) => void await call({ op: "exec", sql, tx }),
  });

  try {
    await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    kind: "embedded",
    location: dataDir ?? "memory",
    ...on(),
    transaction: async <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
      const tx = await call({ op: "begin" }) as number;
      let result: T;
      try {
        result = await work(on(tx));
      } catch (error) {
        await call({ op: "end", tx, commit: false }).catch(() => {});
        throw error;
      }
      await call({ op: "end", tx, commit: true });
      return result;
    },
    close: () =>
      closing ??= (async () => {
        try {
          if (failure === null) await call({ op: "close" });
        } finally {
          worker.terminate();
          failAll(new Error("embedded database closed"));
        }
      })(),
  };
}
