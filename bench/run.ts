/**
 * `deno task bench`: h1server against a Deno.serve reference (bench/reference.ts) under wrk.
 *
 * Both servers serve the same routes with byte-identical answers (checked before measuring),
 * run A/B interleaved, on CPU 0 with wrk on CPU 1 when taskset is available.
 *
 *   deno task bench [--rounds N] [--duration S] [--quick] [--only SUBSTRING] [--json /tmp/out.json]
 *
 * --rounds 3 and --duration 5 (seconds per run) by default; --quick makes it 2 s. --json saves every run
 * with wrk's raw output (the task may write only under /tmp). Exits 1 when any run had errors.
 */
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type Scenario, SCENARIOS, WEB_ROOT_FILES } from "./scenarios.ts";
import { parseWrkOutput, type WrkResult } from "./wrk_output.ts";

const BENCH_DIR = import.meta.dirname!;
const PROJECT_DIR = dirname(BENCH_DIR);
const WARMUP_SECONDS = 1;
/** On these the servers are stopped before exiting. */
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

const SERVERS = [
  { name: "h1server", entry: "main.ts" },
  { name: "Deno.serve", entry: "bench/reference.ts" },
  { name: "bare engine", entry: "bench/bare.ts" },
] as const;
type ServerName = (typeof SERVERS)[number]["name"];
/** What each scenario compares h1server with, unless it names another reference. */
const DEFAULT_REFERENCE: ServerName = "Deno.serve";

interface Options {
  readonly rounds: number;
  readonly duration: number;
  readonly only: string;
  readonly json: string | null;
}

interface Run {
  readonly scenario: string;
  readonly server: ServerName;
  readonly round: number;
  readonly result: WrkResult | null;
  /** Why the run does not count: socket errors, non-2xx answers, wrk failing. */
  readonly failure: string | null;
  readonly wrkOutput: string;
}

interface Machine {
  readonly cpu: string;
  readonly nproc: number;
  readonly memory: string;
  readonly deno: string;
  readonly wrk: string;
  readonly date: string;
  readonly pinning: boolean;
}

// ---------------------------------------------------------------------------------------------------------------------
// Command line and machine

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      rounds: { type: "string" },
      duration: { type: "string" },
      quick: { type: "boolean", default: false },
      only: { type: "string", default: "" },
      json: { type: "string" },
    },
  });
  const positive = (name: string, raw: string | undefined, fallback: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
    return value;
  };
  return {
    rounds: positive("rounds", values.rounds, 3),
    duration: positive("duration", values.duration, values.quick ? 2 : 5),
    only: values.only,
    json: values.json ?? null,
  };
}

/** Runs a command to completion; null when it is not installed. */
async function capture(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string } | null> {
  try {
    const { code, stdout, stderr } = await new Deno.Command(cmd, { args, stdin: "null" }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function describeMachine(wrk: string): Promise<Machine> {
  // Deno refuses to read /proc without --allow-all; cat may (--allow-run).
  const cpuinfo = (await capture("cat", ["/proc/cpuinfo"]))?.stdout ?? "";
  const meminfo = (await capture("cat", ["/proc/meminfo"]))?.stdout ?? "";
  const memKiB = Number(meminfo.match(/^MemTotal:\s+(\d+) kB/m)?.[1] ?? NaN);
  const nproc = Number((await capture("nproc", []))?.stdout.trim() ?? navigator.hardwareConcurrency);
  const taskset = await capture("taskset", ["--version"]);
  return {
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? "unknown",
    nproc,
    memory: Number.isNaN(memKiB) ? "unknown" : `${(memKiB / 1024 / 1024).toFixed(1)} GiB`,
    deno: Deno.version.deno,
    wrk,
    date: new Date().toISOString(),
    pinning: taskset !== null && nproc >= 2,
  };
}

/** `[cmd, args]`, run under `taskset -c cpu` when pinning. */
function pinned(pinning: boolean, cpu: number, cmd: string, args: string[]): [string, string[]] {
  return pinning ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args];
}

// ---------------------------------------------------------------------------------------------------------------------
// Servers

interface Server {
  readonly name: ServerName;
  readonly url: string;
  readonly child: Deno.ChildProcess;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

function startServer(spec: (typeof SERVERS)[number], webRoot: string, pinning: boolean): Server {
  const port = freePort();
  const [cmd, args] = pinned(pinning, 0, Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    spec.entry,
  ]);
  const child = new Deno.Command(cmd, {
    args,
    cwd: PROJECT_DIR,
    // h1server runs with its default logging: the access log is part of the stack being measured.
    env: { HOST: "127.0.0.1", PORT: String(port), WEB_ROOT_DIR: webRoot },
    // Its log goes where a production log would: to a file descriptor, here /dev/null.
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { name: spec.name, url: `http://127.0.0.1:${port}`, child };
}

async function waitUntilReady(server: Server, timeoutMs = 30_000): Promise<void> {
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

async function stopServer(server: Server): Promise<void> {
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
// Checking and measuring

async function answer(server: Server, scenario: Scenario) {
  const init: RequestInit = scenario.body === undefined
    ? {}
    : { method: "POST", headers: { "content-type": scenario.body.contentType }, body: scenario.body.text };
  const response = await fetch(server.url + scenario.path, init);
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** Throws unless both servers answer the scenario's request with a 2xx, the same content type and the same bytes. */
async function checkSameAnswers(scenario: Scenario, [a, b]: Server[]): Promise<void> {
  const [x, y] = [await answer(a, scenario), await answer(b, scenario)];
  const problems: string[] = [];
  if (x.status !== y.status) problems.push(`status ${x.status} vs ${y.status}`);
  if (x.status < 200 || x.status > 299) problems.push(`status ${x.status} is not 2xx`);
  if (x.contentType !== y.contentType) problems.push(`content-type ${x.contentType} vs ${y.contentType}`);
  const differsAt = x.body.findIndex((byte, i) => byte !== y.body[i]);
  if (x.body.length !== y.body.length || differsAt !== -1) {
    const at = differsAt === -1 ? Math.min(x.body.length, y.body.length) : differsAt;
    const show = (bytes: Uint8Array) => JSON.stringify(new TextDecoder().decode(bytes.subarray(at, at + 80)));
    problems.push(
      `bodies differ (${x.body.length} vs ${y.body.length} bytes) from byte ${at}: ${show(x.body)} vs ${show(y.body)}`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`${scenario.name}: ${a.name} and ${b.name} answer differently:\n  ${problems.join("\n  ")}`);
  }
}

/** wrk's `-s script` option and the script's arguments, which follow the URL. */
interface WrkScript {
  readonly option: string[];
  readonly args: string[];
}

function wrkScript(scenario: Scenario, bodyFile: string): WrkScript {
  if (scenario.pipeline !== undefined) {
    return { option: ["-s", join(BENCH_DIR, "wrk/pipeline.lua")], args: [String(scenario.pipeline)] };
  }
  if (scenario.body !== undefined) {
    return { option: ["-s", join(BENCH_DIR, "wrk/post.lua")], args: [bodyFile, scenario.body.contentType] };
  }
  if (scenario.uniqueHeads) return { option: ["-s", join(BENCH_DIR, "wrk/unique.lua")], args: [] };
  return { option: [], args: [] };
}

async function runWrk(
  scenario: Scenario,
  script: WrkScript,
  server: Server,
  seconds: number,
  pinning: boolean,
): Promise<Omit<Run, "round">> {
  const [cmd, args] = pinned(pinning, 1, "wrk", [
    "-t1",
    `-c${scenario.connections}`,
    `-d${seconds}s`,
    "--latency",
    ...script.option,
    server.url + scenario.path,
    ...script.args,
  ]);
  const out = (await capture(cmd, args))!;
  const run = { scenario: scenario.name, server: server.name, wrkOutput: out.stdout + out.stderr };
  if (out.code !== 0) {
    return { ...run, result: null, failure: `wrk exited with code ${out.code}: ${out.stderr.trim()}` };
  }
  let result: WrkResult;
  try {
    result = parseWrkOutput(out.stdout);
  } catch (error) {
    return { ...run, result: null, failure: (error as Error).message };
  }
  const failures = [
    result.socketErrors > 0 ? `${result.socketErrors} socket errors` : "",
    result.non2xx > 0 ? `${result.non2xx} non-2xx/3xx responses` : "",
  ].filter((text) => text !== "");
  return { ...run, result, failure: failures.length === 0 ? null : failures.join(", ") };
}

// ---------------------------------------------------------------------------------------------------------------------
// Report

/** The median of the values that are numbers; NaN when there are none. */
function median(values: (number | null)[]): number {
  const sorted = values.filter((value) => value !== null).sort((x, y) => x - y);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fixed = (value: number, digits: number) =>
  Number.isNaN(value)
    ? "n/a"
    : value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * Median req/s, with the failed runs marked, and median p99 of one server's runs of one scenario.
 * With pipelining wrk takes one latency sample per batch and its histogram correction breaks: no p99.
 */
function summarize(scenario: Scenario, runs: Run[]): { rps: string; p99: string } {
  const failed = runs.filter((run) => run.failure !== null).length;
  return {
    rps: fixed(median(runs.map((run) => run.result?.requestsPerSec ?? null)), 0) +
      (failed === 0 ? "" : ` **FAIL ${failed}/${runs.length}**`),
    p99: scenario.pipeline === undefined ? fixed(median(runs.map((run) => run.result?.p99Ms ?? null)), 2) : "n/a",
  };
}

function report(machine: Machine, options: Options, scenarios: readonly Scenario[], runs: Run[]): string {
  const pinning = machine.pinning ? "servers on CPU 0, wrk on CPU 1 (taskset)" : "none (needs taskset and nproc ≥ 2)";
  const lines = [
    "## h1server vs Deno.serve (and vs its bare engine)",
    "",
    `- CPU: ${machine.cpu}; nproc ${machine.nproc}; memory ${machine.memory}`,
    `- deno ${machine.deno}; ${machine.wrk}; ${machine.date}`,
    `- ${options.rounds} round(s) × ${options.duration} s per run after a ${WARMUP_SECONDS} s warm-up, ` +
    `A/B interleaved, wrk -t1 --latency`,
    `- CPU pinning: ${pinning}`,
    "",
    "| scenario | measured | against | req/s (median) | reference req/s (median) | ratio (median) " +
    "| p99 ms | reference p99 ms |",
    "|---|---|---|--:|--:|--:|--:|--:|",
  ];
  for (const scenario of scenarios) {
    const reference = scenario.against ?? DEFAULT_REFERENCE;
    const of = (server: ServerName) => runs.filter((run) => run.scenario === scenario.name && run.server === server);
    const [h1, ref] = [of(scenario.subject ?? "h1server"), of(reference)];
    const ratios = h1.map((run) => {
      const other = ref.find((candidate) => candidate.round === run.round)?.result;
      return run.result && other ? run.result.requestsPerSec / other.requestsPerSec : null;
    });
    const [a, b] = [summarize(scenario, h1), summarize(scenario, ref)];
    lines.push(
      `| ${scenario.name} | ${scenario.subject ?? "h1server"} | ${reference} | ${a.rps} | ${b.rps} | ` +
        `${fixed(median(ratios), 2)} | ${a.p99} | ${b.p99} |`,
    );
  }
  if (scenarios.some((scenario) => scenario.pipeline !== undefined)) {
    lines.push("", "p99 n/a with pipelining: wrk samples latency once per batch and its corrected histogram breaks.");
  }
  const failed = runs.filter((run) => run.failure !== null);
  if (failed.length > 0) {
    lines.push("", "Failed runs:");
    for (const run of failed) lines.push(`- ${run.scenario}, ${run.server}, round ${run.round}: ${run.failure}`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  const wrkHelp = await capture("wrk", ["-v"]);
  if (wrkHelp === null) {
    console.error("wrk is not installed. Install it with:\n  apt-get update && apt-get install -y wrk");
    return 1;
  }
  const scenarios = SCENARIOS.filter((scenario) => scenario.name.includes(options.only));
  if (scenarios.length === 0) throw new Error(`no scenario matches --only ${JSON.stringify(options.only)}`);
  const machine = await describeMachine(wrkHelp.stdout.match(/^wrk \S+/)?.[0] ?? "wrk (unknown version)");
  console.log(
    machine.pinning
      ? "Pinning servers to CPU 0 and wrk to CPU 1 (taskset)."
      : "Not pinning (needs taskset, nproc ≥ 2).",
  );

  const tempDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "h1server-bench-" });
  const servers: Server[] = [];
  const cleanUp = async () => {
    await Promise.all(servers.map(stopServer));
    await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  };
  const onInterrupt = () => cleanUp().finally(() => Deno.exit(130));
  for (const signal of SIGNALS) Deno.addSignalListener(signal, onInterrupt);

  try {
    const webRoot = join(tempDir, "webroot");
    await Deno.mkdir(webRoot);
    for (const [name, text] of Object.entries(WEB_ROOT_FILES)) await Deno.writeTextFile(join(webRoot, name), text);
    const scripts = new Map<Scenario, WrkScript>();
    for (const [i, scenario] of scenarios.entries()) {
      const bodyFile = join(tempDir, `body-${i}`);
      if (scenario.body !== undefined) await Deno.writeTextFile(bodyFile, scenario.body.text);
      scripts.set(scenario, wrkScript(scenario, bodyFile));
    }

    const needed = new Set<ServerName>(
      scenarios.flatMap((s) => [s.subject ?? "h1server", s.against ?? DEFAULT_REFERENCE]),
    );
    for (const spec of SERVERS) if (needed.has(spec.name)) servers.push(startServer(spec, webRoot, machine.pinning));
    await Promise.all(servers.map((server) => waitUntilReady(server)));
    /** h1server and the server the scenario compares it with. */
    const pair = (scenario: Scenario): Server[] => {
      const reference = scenario.against ?? DEFAULT_REFERENCE;
      const subject = scenario.subject ?? "h1server";
      return [servers.find((s) => s.name === subject)!, servers.find((s) => s.name === reference)!];
    };
    for (const scenario of scenarios) await checkSameAnswers(scenario, pair(scenario));
    console.log(`h1server and its reference answer all ${scenarios.length} scenarios identically. Warming up…`);

    for (const scenario of scenarios) {
      for (const server of pair(scenario)) {
        const warmup = await runWrk(scenario, scripts.get(scenario)!, server, WARMUP_SECONDS, machine.pinning);
        if (warmup.failure !== null) console.warn(`warm-up ${scenario.name}, ${server.name}: ${warmup.failure}`);
      }
    }

    const runs: Run[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const scenario of scenarios) {
        const order = round % 2 === 1 ? pair(scenario) : pair(scenario).reverse();
        for (const server of order) {
          const run = {
            round,
            ...await runWrk(scenario, scripts.get(scenario)!, server, options.duration, machine.pinning),
          };
          runs.push(run);
          const rps = fixed(run.result?.requestsPerSec ?? NaN, 0);
          const p99 = scenario.pipeline === undefined ? fixed(run.result?.p99Ms ?? NaN, 2) : "n/a";
          const failure = run.failure === null ? "" : `  FAIL: ${run.failure}`;
          console.log(
            `round ${round}/${options.rounds}  ${scenario.name.padEnd(18)} ${server.name.padEnd(10)} ` +
              `${rps.padStart(9)} req/s  p99 ${p99.padStart(6)} ms${failure}`,
          );
        }
      }
    }

    console.log(`\n${report(machine, options, scenarios, runs)}`);
    if (options.json !== null) {
      await Deno.writeTextFile(options.json, JSON.stringify({ machine, options, runs }, null, 2) + "\n");
      console.log(`\nRaw results: ${options.json}`);
    }
    return runs.every((run) => run.failure === null) ? 0 : 1;
  } finally {
    for (const signal of SIGNALS) Deno.removeSignalListener(signal, onInterrupt);
    await cleanUp();
  }
}

try {
  Deno.exit(await main());
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
