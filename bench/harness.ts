/**
 * The processes of `deno task bench`: commands, CPU pinning, servers started as subprocesses
 * on free ports, and wrk runs.
 */
import { dirname } from "node:path";
import { parseWrkOutput, type WrkResult } from "./wrk_output.ts";

export const BENCH_DIR: string = import.meta.dirname!;
export const PROJECT_DIR: string = dirname(BENCH_DIR);
/** When pinning, servers run on this CPU… */
export const SERVER_CPU = 0;
/** …and wrk (and the login load) on this one. */
export const LOAD_CPU = 1;

/** Runs a command to completion; null when it is not installed. */
export async function capture(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string } | null> {
  try {
    const { code, stdout, stderr } = await new Deno.Command(cmd, { args, stdin: "null" }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** `[cmd, args]`, run under `taskset -c cpu` when pinning. */
export function pinned(pinning: boolean, cpu: number, cmd: string, args: string[]): [string, string[]] {
  return pinning ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args];
}

// ---------------------------------------------------------------------------------------------------------------------
// Servers

export interface Server {
  readonly name: string;
  readonly url: string;
  readonly child: Deno.ChildProcess;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Starts `deno run <entry>` on SERVER_CPU with HOST and PORT (a free one) added to `env`. */
export function startServer(name: string, entry: string, env: Record<string, string>, pinning: boolean): Server {
  const port = freePort();
  const [cmd, args] = pinned(pinning, SERVER_CPU, Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    entry,
  ]);
  const child = new Deno.Command(cmd, {
    args,
    cwd: PROJECT_DIR,
    env: { ...env, HOST: "127.0.0.1", PORT: String(port) },
    // h1server runs with its default logging: the access log is part of the stack being measured.
    // Its log goes where a production log would: to a file descriptor, here /dev/null.
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { name, url: `http://127.0.0.1:${port}`, child };
}

export async function waitUntilReady(server: Server, timeoutMs = 30_000): Promise<void> {
  const exit: { code?: number } = {};
  server.child.status.then((status) => exit.code = status.code);
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exit.code !== undefined) throw new Error(`${server.name} exited with code ${exit.code} before it was ready`);
    try {
      const response = await fetch(`${server.url}/api/health`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${server.name} was not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function stopServer(server: Server): Promise<void> {
  const kill = (signal: Deno.Signal) => {
    try {
      server.child.kill(signal);
    } catch {
      // Already exited.
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 3000);
  await server.child.status;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------------------------------
// wrk

/** A Lua script from bench/wrk/ and its arguments, which follow the URL on wrk's command line. */
export interface WrkScript {
  readonly path: string;
  readonly args: readonly string[];
}

/** One wrk run: always one thread, with the latency distribution. */
export interface WrkSpec {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly script?: WrkScript;
  /** wrk's --timeout (default 2 s): longer answers are not recorded and count as timeout errors. */
  readonly timeoutSeconds?: number;
}

export interface WrkOutcome {
  readonly result: WrkResult | null;
  /** Why the run does not count: socket errors, non-2xx answers, wrk failing. */
  readonly failure: string | null;
  readonly wrkOutput: string;
}

/** wrk's arguments for a run. */
export function wrkArgs(spec: WrkSpec): string[] {
  return [
    "-t1",
    `-c${spec.connections}`,
    `-d${spec.seconds}s`,
    ...(spec.timeoutSeconds === undefined ? [] : [`--timeout`, `${spec.timeoutSeconds}s`]),
    "--latency",
    ...(spec.script === undefined ? [] : ["-s", spec.script.path]),
    spec.url,
    ...(spec.script?.args ?? []),
  ];
}

/** Why a parsed run does not count, or null. */
export function wrkFailure(result: WrkResult): string | null {
  const failures = [
    result.socketErrors > 0 ? `${result.socketErrors} socket errors` : "",
    result.non2xx > 0 ? `${result.non2xx} non-2xx/3xx responses` : "",
  ].filter((text) => text !== "");
  return failures.length === 0 ? null : failures.join(", ");
}

/** Runs wrk on LOAD_CPU. */
export async function runWrk(spec: WrkSpec, pinning: boolean): Promise<WrkOutcome> {
  const [cmd, args] = pinned(pinning, LOAD_CPU, "wrk", wrkArgs(spec));
  const out = (await capture(cmd, args))!;
  const wrkOutput = out.stdout + out.stderr;
  if (out.code !== 0) {
    return { wrkOutput, result: null, failure: `wrk exited with code ${out.code}: ${out.stderr.trim()}` };
  }
  let result: WrkResult;
  try {
    result = parseWrkOutput(out.stdout);
  } catch (error) {
    return { wrkOutput, result: null, failure: (error as Error).message };
  }
  return { wrkOutput, result, failure: wrkFailure(result) };
}
