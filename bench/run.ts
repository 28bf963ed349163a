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
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type AuthRun, runAuthSections } from "./auth.ts";
import {
  BENCH_DIR,
  capture,
  runWrk,
  type Server,
  startServer,
  stopServer,
  waitUntilReady,
  type WrkScript,
} from "./harness.ts";
import {
  AUTH_COMPARISONS,
  H1SERVER_ENV,
  type Scenario,
  SCENARIOS,
  WARMUP_SECONDS,
  WEB_ROOT_FILES,
} from "./scenarios.ts";
import { fixed, median } from "./stats.ts";
import type { WrkResult } from "./wrk_output.ts";

/** On these the servers are stopped before exiting. */
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

const SERVERS = [
  { name: "h1server", entry: "main.ts", env: H1SERVER_ENV },
  { name: "Deno.serve", entry: "bench/reference.ts", env: {} },
  { name: "bare engine", entry: "bench/bare.ts", env: {} },
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
  readonly server: string;
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

/** The Lua script a scenario needs, if any. */
function wrkScript(scenario: Scenario, bodyFile: string): WrkScript | undefined {
  if (scenario.pipeline !== undefined) {
    return { path: join(BENCH_DIR, "wrk/pipeline.lua"), args: [String(scenario.pipeline)] };
  }
  if (scenario.body !== undefined) {
    return { path: join(BENCH_DIR, "wrk/post.lua"), args: [bodyFile, scenario.body.contentType] };
  }
  if (scenario.uniqueHeads) return { path: join(BENCH_DIR, "wrk/unique.lua"), args: [] };
  return undefined;
}

async function runScenario(
  scenario: Scenario,
  script: WrkScript | undefined,
  server: Server,
  seconds: number,
  pinning: boolean,
): Promise<Omit<Run, "round">> {
  const spec = { url: server.url + scenario.path, connections: scenario.connections, seconds, script };
  return { scenario: scenario.name, server: server.name, ...await runWrk(spec, pinning) };
}

// ---------------------------------------------------------------------------------------------------------------------
// Report

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

/** The machine, as the first lines of a report list it. */
function machineLines(machine: Machine): string[] {
  return [
    `- CPU: ${machine.cpu}; nproc ${machine.nproc}; memory ${machine.memory}`,
    `- deno ${machine.deno}; ${machine.wrk}; ${machine.date}`,
  ];
}

function report(machine: Machine, options: Options, scenarios: readonly Scenario[], runs: Run[]): string {
  const pinning = machine.pinning ? "servers on CPU 0, wrk on CPU 1 (taskset)" : "none (needs taskset and nproc ≥ 2)";
  const lines = [
    "## h1server vs Deno.serve (and vs its bare engine)",
    "",
    ...machineLines(machine),
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

/** h1server against its references: checks the answers, warms up, runs the rounds, stops the servers again. */
async function runScenarios(
  machine: Machine,
  options: Options,
  scenarios: readonly Scenario[],
  tempDir: string,
  servers: Server[],
): Promise<Run[]> {
  const webRoot = join(tempDir, "webroot");
  await Deno.mkdir(webRoot);
  for (const [name, text] of Object.entries(WEB_ROOT_FILES)) await Deno.writeTextFile(join(webRoot, name), text);
  const scripts = new Map<Scenario, WrkScript | undefined>();
  for (const [i, scenario] of scenarios.entries()) {
    const bodyFile = join(tempDir, `body-${i}`);
    if (scenario.body !== undefined) await Deno.writeTextFile(bodyFile, scenario.body.text);
    scripts.set(scenario, wrkScript(scenario, bodyFile));
  }

  const needed = new Set<ServerName>(
    scenarios.flatMap((s) => [s.subject ?? "h1server", s.against ?? DEFAULT_REFERENCE]),
  );
  const started = SERVERS.filter((spec) => needed.has(spec.name)).map((spec) =>
    startServer(spec.name, spec.entry, { ...spec.env, WEB_ROOT_DIR: webRoot }, machine.pinning)
  );
  servers.push(...started);
  await Promise.all(started.map((server) => waitUntilReady(server)));
  /** h1server and the server the scenario compares it with. */
  const pair = (scenario: Scenario): Server[] => {
    const reference = scenario.against ?? DEFAULT_REFERENCE;
    const subject = scenario.subject ?? "h1server";
    return [started.find((s) => s.name === subject)!, started.find((s) => s.name === reference)!];
  };
  for (const scenario of scenarios) await checkSameAnswers(scenario, pair(scenario));
  console.log(`h1server and its reference answer all ${scenarios.length} scenarios identically. Warming up…`);

  for (const scenario of scenarios) {
    for (const server of pair(scenario)) {
      const warmup = await runScenario(scenario, scripts.get(scenario), server, WARMUP_SECONDS, machine.pinning);
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
          ...await runScenario(scenario, scripts.get(scenario), server, options.duration, machine.pinning),
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

  // The auth sections that follow get the machine to themselves (stopping twice, at clean-up, is harmless).
  await Promise.all(started.map(stopServer));
  return runs;
}

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  const wrkHelp = await capture("wrk", ["-v"]);
  if (wrkHelp === null) {
    console.error("wrk is not installed. Install it with:\n  apt-get update && apt-get install -y wrk");
    return 1;
  }
  const scenarios = SCENARIOS.filter((scenario) => scenario.name.includes(options.only));
  const comparisons = AUTH_COMPARISONS.filter((comparison) => comparison.name.includes(options.only));
  if (scenarios.length + comparisons.length === 0) {
    throw new Error(`no scenario matches --only ${JSON.stringify(options.only)}`);
  }
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
    const runs = scenarios.length === 0 ? [] : await runScenarios(machine, options, scenarios, tempDir, servers);
    const auth = comparisons.length === 0
      ? { runs: [] as AuthRun[], report: "" }
      : await runAuthSections(comparisons, { ...options, nproc: machine.nproc }, servers);

    if (scenarios.length > 0) console.log(`\n${report(machine, options, scenarios, runs)}`);
    if (comparisons.length > 0) {
      // Without the table above, the machine is described here.
      if (scenarios.length === 0) console.log(`\n${machineLines(machine).join("\n")}`);
      console.log(`\n${auth.report}`);
    }
    if (options.json !== null) {
      const json = { machine, options, runs, authRuns: auth.runs };
      await Deno.writeTextFile(options.json, JSON.stringify(json, null, 2) + "\n");
      console.log(`\nRaw results: ${options.json}`);
    }
    return [...runs, ...auth.runs].every((run) => run.failure === null) ? 0 : 1;
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
