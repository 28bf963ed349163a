/**
 * What `deno task bench` measures: one row per scenario, the files the web root holds, and the
 * comparisons of the accounts-and-auth sections (h1server only).
 */

/** Seconds of wrk (or login load) before the measured rounds, per scenario and server. */
export const WARMUP_SECONDS = 1;

export interface Scenario {
  /** Unique; `--only` matches a substring of it. */
  readonly name: string;
  readonly path: string;
  /** wrk connections (always one wrk thread). */
  readonly connections: number;
  /** Requests per write: HTTP/1.1 pipelining through bench/wrk/pipeline.lua. */
  readonly pipeline?: number;
  /** A different query on every request (bench/wrk/unique.lua): no two heads are identical. */
  readonly uniqueHeads?: boolean;
  /** The server measured: the whole of h1server (default), or its bare engine (no app layer). */
  readonly subject?: "h1server" | "bare engine";
  /** The server it is compared with; Deno.serve unless this says the bare engine (the app stack's cost). */
  readonly against?: "Deno.serve" | "bare engine";
  /** Sent as a POST with this body and content type, through bench/wrk/post.lua. */
  readonly body?: { readonly contentType: string; readonly text: string };
}

/** `size` bytes of numbered ASCII lines: the same content on every run. */
export function deterministicText(size: number): string {
  let text = "";
  for (let line = 1; text.length < size; line++) {
    text += `${String(line).padStart(5, "0")} the quick brown fox jumps over the lazy dog 0123456789\n`;
  }
  return text.slice(0, size);
}

/** A JSON object of exactly `size` bytes: a few records, padded by a string field. */
export function jsonOfSize(size: number): string {
  const items = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}`, tags: ["bench"], ok: true }));
  const padding = size - JSON.stringify({ items, note: "" }).length;
  if (padding < 0) throw new Error(`jsonOfSize: ${size} bytes is too small`);
  return JSON.stringify({ items, note: "x".repeat(padding) });
}

/** Written into a temporary web root that both servers serve. */
export const WEB_ROOT_FILES: Readonly<Record<string, string>> = {
  "static-16k.txt": deterministicText(16 * 1024),
};

export const SCENARIOS: readonly Scenario[] = [
  // The engine alone (HTTP/1.1 parsing, framing, writing) against Deno.serve's.
  { name: "engine json-get c16", path: "/api/health", connections: 16, subject: "bare engine" },
  { name: "engine pipelined-16", path: "/api/health", connections: 16, pipeline: 16, subject: "bare engine" },
  // The product as shipped (router, middleware, access log) against Deno.serve with the same routes.
  { name: "json-get c16", path: "/api/health", connections: 16 },
  { name: "json-get c128", path: "/api/health", connections: 128 },
  { name: "json-get unique-heads c16", path: "/api/health", connections: 16, uniqueHeads: true },
  { name: "static-16k c16", path: "/static-16k.txt", connections: 16 },
  { name: "pipelined-16 c16", path: "/api/health", connections: 16, pipeline: 16 },
  {
    name: "post-1k c16",
    path: "/api/data",
    connections: 16,
    body: { contentType: "application/json", text: jsonOfSize(1024) },
  },
  // What the app stack costs on top of the engine.
  { name: "full stack c16", path: "/api/health", connections: 16, against: "bare engine" },
];

// ---------------------------------------------------------------------------------------------------------------------
// Accounts and auth: h1server only

/** A fixed, bench-only HMAC key (h1server requires JWT_SECRET_KEY, at least 32 bytes). */
export const BENCH_JWT_SECRET = "h1server-bench-only-jwt-secret-not-for-production";

/**
 * h1server's environment in every section. An empty value counts as unset and, being in the real
 * environment, also overrides a developer's .env: PostgreSQL is never used, the worker pool keeps its
 * default size.
 */
export const H1SERVER_ENV: Readonly<Record<string, string>> = {
  JWT_SECRET_KEY: BENCH_JWT_SECRET,
  DATABASE_URL: "",
  DATA_DIR: ":memory:",
  BCRYPT_COST: "12",
  // The bench user never fails a login, but the back-off must not be what is measured.
  LOGIN_FREE_FAILURES: "1000",
  PASSWORD_WORKERS: "",
};

/**
 * h1server as the auth sections compare it: bcrypt in the worker pool or on the main thread, on the
 * embedded database; and with the pool on a throw-away database on the PostgreSQL server the tests use
 * (TEST_DATABASE_URL, default 127.0.0.1:5432), as in production.
 */
export const AUTH_SERVERS = [
  // The default pool: one worker per CPU but one (PASSWORD_WORKERS' default).
  { name: "worker pool", env: { PASSWORD_WORKERS: "" }, postgres: false },
  // For comparison only: every login blocks the event loop for the length of a bcrypt.
  { name: "main thread", env: { PASSWORD_WORKERS: "0" }, postgres: false },
  { name: "PostgreSQL", env: { PASSWORD_WORKERS: "" }, postgres: true },
] as const;
export type AuthServerName = (typeof AUTH_SERVERS)[number]["name"];

/** Registered and logged in through the API on every auth server before measuring. */
export const BENCH_USER = { username: "bench_user", password: "bench-password-0123" } as const;

/** What one measured run does against one server. */
export interface Probe {
  readonly server: AuthServerName;
  /**
   * health and profile: wrk GETs /api/health, or /api/profile with the bench user's token
   * (bench/wrk/bearer.lua). login: bench/login_load.ts keeps `connections` logins in flight.
   */
  readonly request: "health" | "profile" | "login";
  readonly connections: number;
  /** wrk waits this long after each answer (bench/wrk/paced.lua): a probe that leaves the server mostly idle. */
  readonly pauseMs?: number;
  /** Meanwhile, bench/login_load.ts keeps this many logins in flight against the same server. */
  readonly loginLoad?: number;
}

/** The three sections; each compares two probes by one metric. */
export type AuthSection = "profile" | "logins" | "responsiveness";

export interface AuthComparison {
  /** Unique; `--only` matches a substring of it (every name contains "auth"). */
  readonly name: string;
  /** profile and logins compare throughput (req/s, logins/s); responsiveness compares p99 latency. */
  readonly section: AuthSection;
  readonly measured: Probe;
  readonly against: Probe;
  /** The target: PASS when the median ratio measured / against is at most this. */
  readonly maxRatio?: number;
  /** Rounds at least, whatever --rounds says (a p99 from one run is too noisy to judge). */
  readonly minRounds?: number;
}

/** One connection, a 1 ms pause between answers: about 1,000 GETs/s, a few per cent of the main thread. */
const HEALTH_PROBE = { request: "health", connections: 1, pauseMs: 1 } as const;
const LOGIN_CONNECTIONS = 16;

export const AUTH_COMPARISONS: readonly AuthComparison[] = [
  // What a token check and a user lookup in the database cost over the cheapest route: with the embedded
  // database (PostgreSQL in WebAssembly, on the main thread) and with a PostgreSQL server.
  {
    name: "auth profile-get c16",
    section: "profile",
    measured: { server: "worker pool", request: "profile", connections: 16 },
    against: { server: "worker pool", request: "health", connections: 16 },
  },
  {
    name: "auth profile-get c16, PostgreSQL",
    section: "profile",
    measured: { server: "PostgreSQL", request: "profile", connections: 16 },
    against: { server: "PostgreSQL", request: "health", connections: 16 },
  },
  // Logins are bcrypt-bound; the pool moves the work off the event loop, it cannot add CPU.
  {
    name: "auth logins c16",
    section: "logins",
    measured: { server: "worker pool", request: "login", connections: LOGIN_CONNECTIONS },
    against: { server: "main thread", request: "login", connections: LOGIN_CONNECTIONS },
  },
  // Does a stream of logins slow everything else down?
  {
    name: "auth health-p99 under logins, worker pool",
    section: "responsiveness",
    measured: { server: "worker pool", ...HEALTH_PROBE, loginLoad: LOGIN_CONNECTIONS },
    against: { server: "worker pool", ...HEALTH_PROBE },
    maxRatio: 2,
    minRounds: 3,
  },
  {
    name: "auth health-p99 under logins, main thread",
    section: "responsiveness",
    measured: { server: "main thread", ...HEALTH_PROBE, loginLoad: LOGIN_CONNECTIONS },
    against: { server: "main thread", ...HEALTH_PROBE },
    minRounds: 3,
  },
];
