/**
 * The accounts-and-auth sections of `deno task bench` (h1server only): profile GET vs health GET,
 * logins per second with the worker pool vs on the main thread, and the health p99 under login load.
 * The comparisons are data (AUTH_COMPARISONS in scenarios.ts); the report is auth_report.ts.
 */
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { createThrowawayDatabase, testDatabaseUrl, type ThrowawayDatabase } from "../tests/helpers/postgres.ts";
import { type AuthContext, authReport, type AuthRun, probeP99, roundsFor, runLine } from "./auth_report.ts";
import {
  BENCH_DIR,
  capture,
  runWrk,
  type Server,
  startServer,
  stopServer,
  waitUntilReady,
  type WrkOutcome,
  type WrkSpec,
} from "./harness.ts";
import type { LoginLoadResult } from "./login_load.ts";
import {
  AUTH_SERVERS,
  type AuthComparison,
  type AuthServerName,
  BENCH_USER,
  H1SERVER_ENV,
  type Probe,
  WARMUP_SECONDS,
} from "./scenarios.ts";

export type { AuthRun } from "./auth_report.ts";

/** The login load runs this long before the probe starts… */
const LOAD_LEAD_SECONDS = 1;
/** …and this long after it should have ended (the probe's wrk takes a moment to start). */
const LOAD_TAIL_SECONDS = 1;
/** wrk's --timeout for the paced probe: a stalled GET is recorded (and counted) rather than dropped as an error. */
const PROBE_TIMEOUT_SECONDS = 60;

export interface AuthOptions {
  readonly rounds: number;
  readonly duration: number;
  readonly nproc: number;
}

/** An auth server, started, with the bench user's token. */
interface Target {
  readonly server: Server;
  readonly token: string;
}

/** The wrk run of a GET probe: /api/profile with the token, or /api/health, paced when the probe says so. */
export function wrkSpecFor(probe: Probe, target: { url: string; token: string }, seconds: number): WrkSpec {
  if (probe.request === "login") throw new Error("logins are sent by bench/login_load.ts, not wrk");
  if (probe.pauseMs !== undefined && probe.request === "profile") {
    throw new Error("a paced probe GETs /api/health only");
  }
  const script = probe.pauseMs !== undefined
    ? { path: join(BENCH_DIR, "wrk/paced.lua"), args: [String(probe.pauseMs)] }
    : probe.request === "profile"
    ? { path: join(BENCH_DIR, "wrk/bearer.lua"), args: [target.token] }
    : undefined;
  return {
    url: `${target.url}/api/${probe.request}`,
    connections: probe.connections,
    seconds,
    script,
    timeoutSeconds: probe.pauseMs === undefined ? undefined : PROBE_TIMEOUT_SECONDS,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Set-up

/** Registers and logs in the bench user through the API, checks /api/profile with the token, returns the token. */
async function signIn(server: Server): Promise<string> {
  const post = async (path: string) => {
    const response = await fetch(server.url + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(BENCH_USER),
    });
    return { status: response.status, body: await response.json() };
  };
  const registered = await post("/api/register");
  if (registered.status !== 201) {
    throw new Error(`${server.name}: register answered ${registered.status} ${JSON.stringify(registered.body)}`);
  }
  const login = await post("/api/login");
  if (login.status !== 200 || typeof login.body.token !== "string") {
    throw new Error(`${server.name}: login answered ${login.status} ${JSON.stringify(login.body)}`);
  }
  const profile = await fetch(`${server.url}/api/profile`, {
    headers: { authorization: `Bearer ${login.body.token}` },
  });
  const body = await profile.json();
  if (profile.status !== 200 || body.username !== BENCH_USER.username) {
    throw new Error(`${server.name}: profile answered ${profile.status} ${JSON.stringify(body)}`);
  }
  return login.body.token;
}

/** A throw-away database on the PostgreSQL server the tests use (TEST_DATABASE_URL), or why there is none. */
async function createBenchDatabase(): Promise<ThrowawayDatabase | string> {
  try {
    return await createThrowawayDatabase();
  } catch (error) {
    return `PostgreSQL at ${new URL(testDatabaseUrl()).host} is not usable (${(error as Error).message})`;
  }
}

/**
 * Starts the auth servers. None is pinned to a CPU: with bcrypt in a worker, h1server needs a core for its
 * event loop and another for the worker, which is what PASSWORD_WORKERS' default (one per CPU but one) gives it.
 */
async function startTargets(
  names: readonly AuthServerName[],
  database: ThrowawayDatabase | null,
  servers: Server[],
): Promise<Map<AuthServerName, Target>> {
  const started = AUTH_SERVERS.filter((spec) => names.includes(spec.name)).map((spec) => {
    const env = { ...H1SERVER_ENV, ...spec.env, ...(spec.postgres ? { DATABASE_URL: database!.url } : {}) };
    const server = startServer(`h1server (${spec.name})`, "main.ts", env, false);
    servers.push(server);
    return [spec.name, server] as const;
  });
  await Promise.all(started.map(([, server]) => waitUntilReady(server)));
  const targets = new Map<AuthServerName, Target>();
  for (const [name, server] of started) targets.set(name, { server, token: await signIn(server) });
  return targets;
}

// ---------------------------------------------------------------------------------------------------------------------
// Measuring

type Measurement = Pick<AuthRun, "rate" | "p99Ms" | "loadRate" | "failure" | "output">;

interface LoadOutcome {
  readonly result: LoginLoadResult | null;
  readonly failure: string | null;
  readonly output: string;
}

/** bench/login_load.ts: `connections` logins in flight for `seconds`, then drained. */
async function runLoginLoad(url: string, connections: number, seconds: number): Promise<LoadOutcome> {
  const body = JSON.stringify(BENCH_USER);
  const out = (await capture(Deno.execPath(), [
    "run",
    "--allow-net",
    join(BENCH_DIR, "login_load.ts"),
    `${url}/api/login`,
    String(connections),
    String(seconds),
    body,
  ]))!;
  const output = out.stdout + out.stderr;
  if (out.code !== 0) return { result: null, failure: `login load exited with code ${out.code}`, output };
  const result: LoginLoadResult = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
  const failure = result.failed > 0
    ? `${result.failed} failed logins (first: ${result.firstFailure})`
    : result.completed === 0
    ? "no login answered"
    : null;
  return { result, failure, output };
}

function fromWrk(outcome: WrkOutcome, load: LoadOutcome | null): Measurement {
  const failures = [outcome.failure, load?.failure ?? null].filter((failure) => failure !== null);
  return {
    rate: outcome.result?.requestsPerSec ?? null,
    p99Ms: outcome.result === null ? null : probeP99(outcome.result),
    loadRate: load?.result?.perSecond ?? null,
    failure: failures.length === 0 ? null : failures.join("; "),
    output: outcome.wrkOutput + (load === null ? "" : `\nlogin load: ${load.output}`),
  };
}

/** One run of a probe. When it returns, no login is left running in the server. */
async function measure(probe: Probe, target: Target, seconds: number): Promise<Measurement> {
  const url = target.server.url;
  if (probe.request === "login") {
    const load = await runLoginLoad(url, probe.connections, seconds);
    return {
      rate: load.result?.perSecond ?? null,
      p99Ms: null,
      loadRate: null,
      failure: load.failure,
      output: load.output,
    };
  }
  const spec = wrkSpecFor(probe, { url, token: target.token }, seconds);
  if (probe.loginLoad === undefined) return fromWrk(await runWrk(spec, false), null);
  const loadSeconds = LOAD_LEAD_SECONDS + seconds + LOAD_TAIL_SECONDS;
  const load = runLoginLoad(url, probe.loginLoad, loadSeconds);
  await new Promise((resolve) => setTimeout(resolve, LOAD_LEAD_SECONDS * 1000));
  const outcome = await runWrk(spec, false);
  return fromWrk(outcome, await load);
}

/** Runs the comparisons (warm-up, then interleaved rounds) and returns the runs and their report. */
export async function runAuthSections(
  wanted: readonly AuthComparison[],
  options: AuthOptions,
  servers: Server[],
): Promise<{ runs: AuthRun[]; report: string }> {
  const usesPostgres = (comparison: AuthComparison) =>
    [comparison.measured.server, comparison.against.server].some((name) =>
      AUTH_SERVERS.find((spec) => spec.name === name)!.postgres
    );
  const database = wanted.some(usesPostgres) ? await createBenchDatabase() : null;
  const skipped = typeof database === "string" ? database : null;
  if (skipped !== null) console.warn(`Skipping the PostgreSQL comparisons: ${skipped}`);
  const comparisons = skipped === null ? wanted : wanted.filter((comparison) => !usesPostgres(comparison));
  const names = [...new Set(comparisons.flatMap((c) => [c.measured.server, c.against.server]))];
  console.log(`Auth sections: starting h1server (${names.join(", ")})…`);
  const started: Server[] = [];
  try {
    const targets = await startTargets(names, typeof database === "string" ? null : database, started);
    servers.push(...started);
    // PASSWORD_WORKERS' default on this machine, as h1server's config computes it.
    const defaultWorkers = loadConfig({}, "development").auth.passwordWorkers;

    console.log("Bench user registered and logged in; /api/profile answers. Warming up…");
    const probes = new Map(comparisons.flatMap((c) => [c.measured, c.against]).map((p) => [JSON.stringify(p), p]));
    for (const probe of probes.values()) {
      const warmup = await measure(probe, targets.get(probe.server)!, WARMUP_SECONDS);
      if (warmup.failure !== null) console.warn(`warm-up ${JSON.stringify(probe)}: ${warmup.failure}`);
    }

    const runs: AuthRun[] = [];
    const lastRound = Math.max(...comparisons.map((comparison) => roundsFor(comparison, options.rounds)));
    for (let round = 1; round <= lastRound; round++) {
      for (const comparison of comparisons) {
        const rounds = roundsFor(comparison, options.rounds);
        if (round > rounds) continue;
        const sides = round % 2 === 1 ? ["measured", "against"] as const : ["against", "measured"] as const;
        for (const side of sides) {
          const probe = comparison[side];
          const measurement = await measure(probe, targets.get(probe.server)!, options.duration);
          const run = { comparison: comparison.name, side, server: probe.server, round, ...measurement };
          runs.push(run);
          console.log(runLine(comparison, run, rounds));
        }
      }
    }

    const context: AuthContext = { ...options, defaultWorkers, skipped };
    return { runs, report: authReport(comparisons, runs, context) };
  } finally {
    // The throw-away database goes once no server uses it.
    if (database !== null && typeof database !== "string") {
      await Promise.all(started.map(stopServer));
      await database.drop();
    }
  }
}
