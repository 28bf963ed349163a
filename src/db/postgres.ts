/**
 * PostgreSQL through postgres.js, with a connection pool. Lost connections are replaced by the
 * pool on the next query, so the app recovers from an outage without a restart; while the
 * server cannot be reached, queries fail fast with DatabaseUnavailableError.
 */
import postgres from "postgres";
import { type Database, DatabaseUnavailableError, type Queryable, type Row } from "./database.ts";

export interface PostgresOptions {
  /** Connections in the pool. */
  readonly max?: number;
  /** Seconds to wait for a connection before giving up (the request then gets 503). */
  readonly connectTimeoutSeconds?: number;
}

/** Errors that mean "the server is not there" rather than "the query is wrong". */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going down or starting up.
  "57P01",
  "57P02",
  "57P03",
]);

export function isUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  // Deno surfaces refused and reset sockets as its own error classes.
  return name === "ConnectionRefused" || name === "ConnectionReset" || name === "BrokenPipe" ||
    name === "NotConnected" || name === "TimedOut";
}

function translate(error: unknown): never {
  if (isUnavailable(error)) throw new DatabaseUnavailableError(undefined, { cause: error });
  throw error;
}

export function connectPostgres(url: string, options: PostgresOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    // Notices (e.g. "relation already exists, skipping") are not errors worth a log line.
    onnotice: () => {},
  });
  const parsed = new URL(url);
  const location = `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;

  const run = <T extends Row>(
    runner: postgres.Sql | postgres.TransactionSql,
    text: string,
    params: readonly unknown[],
  ) => (runner.unsafe(text, params as postgres.ParameterOrJSON<never>[]) as Promise<T[]>).catch(translate);

  // Without parameters postgres.js uses the simple protocol, which runs several statements.
  const exec = (runner: postgres.Sql | postgres.TransactionSql) => async (text: string) => {
    await runner.unsafe(text).catch(translate);
  };

  return {
    kind: "postgres",
    location,
    query: <T extends Row = Row>(text: string, params: readonly unknown[] = []) => run<T>(sql, text, params),
    exec: exec(sql),
    transaction: async <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
      try {
        return await sql.begin((tx) =>
          work({
            query: <R extends Row = Row>(text: string, params: readonly unknown[] = []) => run<R>(tx, text, params),
            exec: exec(tx),
          })
        ) as T;
      } catch (error) {
        return translate(error);
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
