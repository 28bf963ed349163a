/**
 * Real PostgreSQL for tests.
 *
 * - `createThrowawayDatabase()`: a database `h1server_test_<random>` on the shared server
 *   (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), dropped by `drop()`.
 * - `startPrivateCluster()`: a cluster of our own (initdb into a temp dir, run as the `postgres`
 *   OS user when the tests run as root) on a free port, which tests may stop and start at will.
 *   The shared server is never stopped or altered beyond creating and dropping throw-away databases.
 *
 * Tests that need either register through `testIf(reason, ...)`: when the requirement is not met
 * the test is reported as ignored (with the reason in its name), never as passed.
 */
import postgres from "postgres";
import { join } from "node:path";

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** The maintenance database URL of the shared server. */
export function testDatabaseUrl(): string {
  const fromEnv = Deno.env.get("TEST_DATABASE_URL")?.trim();
  return fromEnv === undefined || fromEnv === "" ? DEFAULT_TEST_DATABASE_URL : fromEnv;
}

/** The URL without its password (for messages). */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

function describe(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return [code, message].filter((part) => typeof part === "string" && part !== "").join(": ");
  }
  return String(error);
}

/** A short-lived administrative connection to the shared server. */
async function withAdmin<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, idle_timeout: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Why the shared server cannot be used (null when it can): not reachable, or the role may not
 * create databases. Checked once, when this module loads (outside any test).
 */
async function probeSharedServer(): Promise<string | null> {
  const url = testDatabaseUrl();
  try {
    return await withAdmin(url, async (sql) => {
      const [row] = await sql.unsafe<{ can: boolean }[]>(
        "SELECT (rolcreatedb OR rolsuper) AS can FROM pg_roles WHERE rolname = current_user",
      );
      return row?.can === true ? null : `the role of ${redact(url)} may not create databases`;
    });
  } catch (error) {
    return `PostgreSQL at ${redact(url)} is not reachable (${describe(error)})`;
  }
}

let probed: Promise<string | null> | null = null;

/** Null when the shared PostgreSQL server can be used, else why not (probed once). */
export function sharedServerUnavailable(): Promise<string | null> {
  return probed ??= probeSharedServer();
}

/**
 * Registers a test that runs only when `unmet` is null; otherwise it is reported as ignored,
 * with the reason in its name.
 */
export function testIf(unmet: string | null, name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({ name: unmet === null ? name : `${name} (ignored: ${unmet})`, ignore: unmet !== null, fn });
}

// ── Throw-away databases on the shared server ───────────────────────────────────

export interface ThrowawayDatabase extends AsyncDisposable {
  readonly name: string;
  /** The shared server's URL with this database's name. */
  readonly url: string;
  /** Drops the database, closing any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

const THROWAWAY_NAME = /^h1server_test_[0-9a-f]{16}$/;

export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const adminUrl = testDatabaseUrl();
  const name = `h1server_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  // The name is made here, never from input; checked anyway since it is spliced into DDL.
  if (!THROWAWAY_NAME.test(name)) throw new Error(`bad throw-away database name ${name}`);
  await withAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | null = null;
  const drop = () =>
    dropping ??= withAdmin(adminUrl, async (sql) => {
      await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  return { name, url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}

// ── Private clusters ───────────────────────────────────────────────────────────

/** Where initdb, pg_ctl and postgres live (TEST_PG_BIN overrides). */
export function postgresBinDir(): string {
  return Deno.env.get("TEST_PG_BIN")?.trim() || "/usr/lib/postgresql/15/bin";
}

/** The OS user clusters run as when the tests run as root: PostgreSQL refuses to run as root. */
const CLUSTER_OS_USER = "postgres";

function commandWorks(command: string, args: string[]): boolean {
  try {
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Null when a private cluster can be made here, else why not. */
export function privateClusterUnavailable(): string | null {
  const bin = postgresBinDir();
  for (const tool of ["initdb", "pg_ctl", "postgres"]) {
    try {
      Deno.statSync(join(bin, tool));
    } catch {
      return `${join(bin, tool)} not found (set TEST_PG_BIN)`;
    }
  }
  if (Deno.uid() === 0 && !commandWorks("runuser", ["-u", CLUSTER_OS_USER, "--", "true"])) {
    return `running as root and cannot run commands as the ${CLUSTER_OS_USER} OS user`;
  }
  return null;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export interface PrivateCluster extends AsyncDisposable {
  readonly port: number;
  /** The temporary directory: data/, the socket and postgres.log. */
  readonly dir: string;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly running: boolean;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** Fast shutdown (open sessions are terminated), waiting until it has stopped. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server if running and removes the directory. Idempotent. */
  destroy(): Promise<void>;
}

export interface PrivateClusterOptions {
  /** Start the server once initialised (default true). */
  readonly start?: boolean;
}

/** Runs a PostgreSQL tool as the cluster's OS user; throws with its output on failure. */
async function runTool(cwd: string, tool: string, args: string[]): Promise<void> {
  const path = join(postgresBinDir(), tool);
  const asRoot = Deno.uid() === 0;
  const { success, stdout, stderr } = await new Deno.Command(asRoot ? "runuser" : path, {
    args: asRoot ? ["-u", CLUSTER_OS_USER, "--", path, ...args] : args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C", TZ: "UTC" },
  }).output();
  if (!success) {
    const decoder = new TextDecoder();
    throw new Error(`${tool} ${args.join(" ")} failed:\n${decoder.decode(stdout)}${decoder.decode(stderr)}`);
  }
}

async function osUserIds(name: string): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const { success, stdout } = await new Deno.Command("id", { args: [flag, name], stdout: "piped", stderr: "null" })
      .output();
    if (!success) throw new Error(`no OS user ${name}`);
    return Number(new TextDecoder().decode(stdout).trim());
  };
  return { uid: await id("-u"), gid: await id("-g") };
}

export async function startPrivateCluster(options: PrivateClusterOptions = {}): Promise<PrivateCluster> {
  const unmet = privateClusterUnavailable();
  if (unmet !== null) throw new Error(`cannot make a private cluster: ${unmet}`);
  const dir = await Deno.makeTempDir({ prefix: "h1server-pg-" });
  const data = join(dir, "data");
  const log = join(dir, "postgres.log");
  const port = freePort();
  let running = false;
  let destroyed: Promise<void> | null = null;

  const tail = async () => {
    try {
      return (await Deno.readTextFile(log)).split("\n").slice(-20).join("\n");
    } catch {
      return "(no log)";
    }
  };
  const pgCtl = async (args: string[]) => {
    try {
      await runTool(dir, "pg_ctl", ["-D", data, ...args]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\npostgres.log:\n${await tail()}`);
    }
  };

  const start = async () => {
    // Only 127.0.0.1 and a socket in our own directory; durability is not the point here.
    const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
      "-c synchronous_commit=off -c full_page_writes=off";
    await pgCtl(["-o", serverOptions, "-l", log, "-w", "-t", "30", "start"]);
    running = true;
  };
  const stop = async () => {
    await pgCtl(["-m", "fast", "-w", "-t", "30", "stop"]);
    running = false;
  };

  /** Last resort when pg_ctl cannot stop it: signal the postmaster we started, by its pid. */
  const killPostmaster = async () => {
    try {
      const pid = Number((await Deno.readTextFile(join(data, "postmaster.pid"))).split("\n")[0]);
      if (Number.isInteger(pid) && pid > 1) Deno.kill(pid, "SIGQUIT");
    } catch {
      // No pid file: nothing running.
    }
  };

  const destroy = () =>
    destroyed ??= (async () => {
      try {
        if (running) {
          try {
            await stop();
          } catch {
            await killPostmaster();
          }
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    })();

  try {
    if (Deno.uid() === 0) {
      const { uid, gid } = await osUserIds(CLUSTER_OS_USER);
      await Deno.chown(dir, uid, gid);
    }
    await runTool(dir, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    if (options.start ?? true) await start();
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    get running() {
      return running;
    },
    start,
    stop,
    restart: async () => {
      if (running) await stop();
      await start();
    },
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}

/**
 * Calls `attempt` until it returns a value other than undefined, pausing `intervalMs` between
 * calls; fails with `what` after `timeoutMs`. For waiting on a real state change (a pool
 * reconnecting, a lock expiring), bounded so that a hang becomes a failure.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  { timeoutMs = 15_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last === undefined ? "" : ` (last error: ${last})`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
