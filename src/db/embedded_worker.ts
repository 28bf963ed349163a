/// <reference lib="deno.worker" />
/**
 * The embedded database's thread: PGlite runs PostgreSQL in WebAssembly, synchronously, for
 * the whole length of each query. Hosted here, a query no longer stops the event loop that
 * serves every other request; `embedded_threaded.ts` is the main thread's side of it.
 *
 * Messages in: EmbeddedRequest; out: one EmbeddedReply per request (same id), and first a
 * `{ id: 0 }` reply once the database is open (or could not be opened).
 */
import type { Database, Queryable } from "./database.ts";
import { openEmbedded } from "./embedded.ts";

export type EmbeddedRequest =
  | {
    readonly id: number;
    readonly op: "query";
    readonly sql: string;
    readonly params: readonly unknown[];
    readonly tx?: number;
  }
  | { readonly id: number; readonly op: "exec"; readonly sql: string; readonly tx?: number }
  | { readonly id: number; readonly op: "begin" }
  | { readonly id: number; readonly op: "end"; readonly tx: number; readonly commit: boolean }
  | { readonly id: number; readonly op: "close" };

/** What crosses back of an error: enough to tell its kind (SQLSTATE code) and show its message. */
export interface ErrorShape {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type EmbeddedReply =
  | { readonly id: number; readonly ok: true; readonly value?: unknown }
  | { readonly id: number; readonly ok: false; readonly error: ErrorShape };

/** The data directory, or null for memory: the worker's name carries it (see embedded_threaded.ts). */
const dataDir = self.name === ":memory:" ? null : self.name;

interface OpenTransaction {
  readonly tx: Queryable;
  /** Settles the transaction's body: resolve commits, reject rolls back. */
  finish(commit: boolean): void;
  /** The transaction itself, settled once committed or rolled back. */
  readonly done: Promise<unknown>;
}

/** Thrown inside a transaction to roll it back on request; not an error. */
const ROLLBACK = Symbol("rollback");

const transactions = new Map<number, OpenTransaction>();
let nextTransaction = 1;

function shape(error: unknown): ErrorShape {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(error) };
}

/** Opens a transaction that stays open, across messages, until an "end" request settles it. */
function begin(db: Database): Promise<number> {
  const id = nextTransaction++;
  let finish!: (commit: boolean) => void;
  const body = new Promise((resolve, reject) => {
    finish = (commit) => commit ? resolve(undefined) : reject(ROLLBACK);
  });
  return new Promise((started, failed) => {
    let opened = false;
    const done: Promise<unknown> = db.transaction((tx) => {
      opened = true;
      transactions.set(id, { tx, finish, done });
      started(id);
      return body;
    }).catch((error) => {
      if (error !== ROLLBACK) throw error;
    }).finally(() => transactions.delete(id));
    // A transaction that could not even begin answers the "begin" request with its error.
    done.catch((error) => {
      if (!opened) failed(error);
    });
  });
}

function target(db: Database, tx: number | undefined): Queryable {
  if (tx === undefined) return db;
  const open = transactions.get(tx);
  if (open === undefined) throw new Error(`no open transaction ${tx}`);
  return open.tx;
}

async function handle(db: Database, request: EmbeddedRequest): Promise<unknown> {
  switch (request.op) {
    case "query":
      return await target(db, request.tx).query(request.sql, request.params);
    case "exec":
      return await target(db, request.tx).exec(request.sql);
    case "begin":
      return await begin(db);
    case "end": {
      const open = transactions.get(request.tx);
      if (open === undefined) throw new Error(`no open transaction ${request.tx}`);
      open.finish(request.commit);
      await open.done;
      return undefined;
    }
    case "close":
      await db.close();
      return undefined;
  }
}

try {
  const db = await openEmbedded(dataDir);
  self.onmessage = (event: MessageEvent<EmbeddedRequest>) => {
    const request = event.data;
    handle(db, request).then(
      (value) => self.postMessage({ id: request.id, ok: true, value } satisfies EmbeddedReply),
      (error) => self.postMessage({ id: request.id, ok: false, error: shape(error) } satisfies EmbeddedReply),
    );
  };
  self.postMessage({ id: 0, ok: true } satisfies EmbeddedReply);
} catch (error) {
  self.postMessage({ id: 0, ok: false, error: shape(error) } satisfies EmbeddedReply);
}
