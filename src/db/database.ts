/**
 * The one small interface the app talks to: parameterised queries and transactions. Two
 * implementations run the same SQL: PostgreSQL over the network (postgres.ts) and an
 * embedded PostgreSQL compiled to WebAssembly (embedded.ts). SQL is never built by
 * concatenating input: every value travels as a $n parameter.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one statement with `$1…$n` parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DatabaseKind = "postgres" | "embedded";

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Where the data lives, without credentials (for the start-up line). */
  readonly location: string;
  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The database cannot be reached right now; the request may succeed later (answered 503). */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  /** Read by the app's error handler: 503 with a hint to retry. */
  readonly httpStatus = 503;
  readonly httpHeaders: [string, string][] = [["retry-after", "5"]];
  constructor(message = "Service temporarily unavailable, try again shortly", options?: ErrorOptions) {
    super(message, options);
  }
}

/** A statement broke a unique constraint (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}
