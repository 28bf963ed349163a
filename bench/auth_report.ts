/** The auth sections' results: medians, ratios, targets, and the Markdown that reports them. */
import type { AuthComparison, AuthSection, Probe } from "./scenarios.ts";
import { fixed, median } from "./stats.ts";
import type { WrkResult } from "./wrk_output.ts";

/** One measured run: one probe of a comparison in one round. */
export interface AuthRun {
  readonly comparison: string;
  readonly side: "measured" | "against";
  readonly server: string;
  readonly round: number;
  /** req/s (wrk) or logins/s (the login load). */
  readonly rate: number | null;
  /** wrk's p99 in ms; Infinity when not one answer came back during the run. */
  readonly p99Ms: number | null;
  /** Logins/s of the login load running meanwhile, if any. */
  readonly loadRate: number | null;
  /** Why the run does not count: socket errors, non-2xx answers, failed logins, a tool failing. */
  readonly failure: string | null;
  /** wrk's and the login load's raw output. */
  readonly output: string;
}

/** How the sections were run, for the report's header. */
export interface AuthContext {
  readonly rounds: number;
  readonly duration: number;
  readonly nproc: number;
  /** What PASSWORD_WORKERS defaults to on this machine; null when unknown. */
  readonly defaultWorkers: number | null;
  /** Why the PostgreSQL comparisons were left out, or null. */
  readonly skipped?: string | null;
}

interface SectionFormat {
  readonly title: string;
  /** Of the metric: what the value columns hold. */
  readonly unit: string;
  readonly digits: number;
  readonly notes: readonly string[];
}

const SECTIONS: Readonly<Record<AuthSection, SectionFormat>> = {
  profile: {
    title: "Profile GET with a bearer token vs health GET",
    unit: "req/s",
    digits: 0,
    notes: ["Same h1server; /api/profile verifies the token and reads the user from the database on every request."],
  },
  logins: {
    title: "Logins per second: bcrypt in the worker pool vs on the main thread",
    unit: "logins/s",
    digits: 2,
    notes: [
      "POST /api/login with correct credentials, cost 12, by bench/login_load.ts: it keeps the " +
      "logins in flight for the run's duration, then waits for their answers; logins/s = logins answered ÷ time " +
      "to the last answer.",
    ],
  },
  responsiveness: {
    title: "Responsiveness: GET /api/health p99 under login load vs idle",
    unit: "p99 ms",
    digits: 2,
    notes: [
      "Probe: wrk, 1 connection, 1 ms pause after each answer (bench/wrk/paced.lua); under load it " +
      "starts 1 s after bench/login_load.ts, which keeps 16 logins in flight until it ends. wrk's p99 (with its " +
      "coordinated-omission correction); ∞: not one answer during the whole run.",
    ],
  },
};

/** Rounds a comparison runs: --rounds, or its minimum when that is more. */
export function roundsFor(comparison: AuthComparison, rounds: number): number {
  return Math.max(rounds, comparison.minRounds ?? 1);
}

/** The p99 of a probe run; Infinity when wrk got no answer at all (then it prints 0 for every percentile). */
export function probeP99(result: WrkResult): number | null {
  return result.requestsPerSec === 0 ? Infinity : result.p99Ms;
}

/** What a probe does, in a few words. */
export function describeProbe(probe: Probe): string {
  const request = probe.request === "login"
    ? `POST /api/login, ${probe.connections} in flight`
    : `GET /api/${probe.request}, c${probe.connections}`;
  const pause = probe.pauseMs === undefined ? "" : `, ${probe.pauseMs} ms pauses`;
  const load = probe.loginLoad === undefined ? "" : `, under ${probe.loginLoad} logins`;
  return `${probe.server}: ${request}${pause}${load}`;
}

export interface ComparisonSummary {
  /** Medians of the metric over the runs that count. */
  readonly measured: number;
  readonly against: number;
  /** Median of the per-round ratios measured / against. */
  readonly ratio: number;
  /** Median logins/s of the load during the measured runs (NaN without one). */
  readonly loadRate: number;
  readonly failed: { readonly measured: number; readonly against: number };
  readonly runs: { readonly measured: number; readonly against: number };
  /** Against maxRatio; null without a target. */
  readonly verdict: "PASS" | "FAIL" | null;
}

/** Throughput sections compare rates; responsiveness compares p99s. */
function metric(section: AuthSection): (run: AuthRun) => number | null {
  return section === "responsiveness" ? (run) => run.p99Ms : (run) => run.rate;
}

export function summarize(comparison: AuthComparison, runs: readonly AuthRun[]): ComparisonSummary {
  const value = metric(comparison.section);
  const counted = (run: AuthRun) => run.failure === null ? value(run) : null;
  const own = runs.filter((run) => run.comparison === comparison.name);
  const [measured, against] = [
    own.filter((run) => run.side === "measured"),
    own.filter((run) => run.side === "against"),
  ];
  const ratios = measured.map((run) => {
    const other = against.find((candidate) => candidate.round === run.round);
    const [x, y] = [counted(run), other === undefined ? null : counted(other)];
    return x === null || y === null ? null : x / y;
  });
  const ratio = median(ratios);
  const failedOf = (list: AuthRun[]) => list.filter((run) => run.failure !== null).length;
  return {
    measured: median(measured.map(counted)),
    against: median(against.map(counted)),
    ratio,
    loadRate: median(measured.map((run) => run.failure === null ? run.loadRate : null)),
    failed: { measured: failedOf(measured), against: failedOf(against) },
    runs: { measured: measured.length, against: against.length },
    // NaN (no valid round) fails.
    verdict: comparison.maxRatio === undefined ? null : ratio <= comparison.maxRatio ? "PASS" : "FAIL",
  };
}

/** A value for the report: ∞ for no answer, n/a for nothing measured, the failed runs marked. */
function cell(value: number, digits: number, failed: number, runs: number): string {
  const text = value === Infinity ? "∞ (no answer)" : fixed(value, digits);
  return failed === 0 ? text : `${text} **FAIL ${failed}/${runs}**`;
}

function sectionLines(
  section: AuthSection,
  comparisons: readonly AuthComparison[],
  runs: readonly AuthRun[],
): string[] {
  const format = SECTIONS[section];
  const withLoad = comparisons.some((comparison) => comparison.measured.loginLoad !== undefined);
  const lines = [
    `### ${format.title}`,
    "",
    `| comparison | measured | against | ${format.unit} (median) | against ${format.unit} (median) ` +
    `| ratio (median) | target |${withLoad ? " logins/s meanwhile |" : ""}`,
    `|---|---|---|--:|--:|--:|---|${withLoad ? "--:|" : ""}`,
  ];
  for (const comparison of comparisons) {
    const summary = summarize(comparison, runs);
    const target = summary.verdict === null ? "—" : `≤ ${comparison.maxRatio}×: **${summary.verdict}**`;
    lines.push(
      `| ${comparison.name} | ${describeProbe(comparison.measured)} | ${describeProbe(comparison.against)} ` +
        `| ${cell(summary.measured, format.digits, summary.failed.measured, summary.runs.measured)} ` +
        `| ${cell(summary.against, format.digits, summary.failed.against, summary.runs.against)} ` +
        `| ${summary.ratio === Infinity ? "∞" : fixed(summary.ratio, 2)} | ${target} |` +
        (withLoad ? ` ${fixed(summary.loadRate, 2)} |` : ""),
    );
  }
  return [...lines, "", ...format.notes];
}

function layout(context: AuthContext): string {
  const workers = context.defaultWorkers === null
    ? ""
    : ` PASSWORD_WORKERS defaults to one worker per CPU but one: here ${context.defaultWorkers}.`;
  return `- CPU: ${context.nproc} core(s), nothing pinned: h1server needs one core for its event loop and one for ` +
    `its password worker, so it cannot be confined to one; wrk and the login load share the cores with it.${workers}`;
}

export function authReport(
  comparisons: readonly AuthComparison[],
  runs: readonly AuthRun[],
  context: AuthContext,
): string {
  const minimum = Math.max(...comparisons.map((comparison) => roundsFor(comparison, context.rounds)));
  const rounds = minimum === context.rounds ? `${context.rounds}` : `${context.rounds} (p99s: ${minimum})`;
  const lines = [
    "## Accounts and auth (h1server only)",
    "",
    layout(context),
    "- h1server: embedded database in memory (DATA_DIR=:memory:) unless the row names PostgreSQL (a throw-away " +
    "database on the server at 127.0.0.1:5432), a fixed bench JWT secret, BCRYPT_COST=12, LOGIN_FREE_FAILURES=1000; " +
    "a bench user registered and logged in through the API.",
    ...(context.skipped ? [`- PostgreSQL rows left out: ${context.skipped}.`] : []),
    `- ${rounds} round(s) × ${context.duration} s per run after a warm-up, A/B interleaved; ratio = median of ` +
    "the per-round ratios.",
  ];
  for (const section of Object.keys(SECTIONS) as AuthSection[]) {
    const selected = comparisons.filter((comparison) => comparison.section === section);
    if (selected.length > 0) lines.push("", ...sectionLines(section, selected, runs));
  }
  const failed = runs.filter((run) => run.failure !== null);
  if (failed.length > 0) {
    lines.push("", "Failed runs:");
    for (const run of failed) {
      lines.push(`- ${run.comparison}, ${run.side} (${run.server}), round ${run.round}: ${run.failure}`);
    }
  }
  return lines.join("\n");
}

/** The progress line printed after each run. */
export function runLine(comparison: AuthComparison, run: AuthRun, rounds: number): string {
  const format = SECTIONS[comparison.section];
  const value = metric(comparison.section)(run);
  const shown = value === null ? "n/a" : value === Infinity ? "∞" : fixed(value, format.digits);
  const load = run.loadRate === null ? "" : `  (${fixed(run.loadRate, 2)} logins/s meanwhile)`;
  const failure = run.failure === null ? "" : `  FAIL: ${run.failure}`;
  const probe = comparison[run.side];
  const label = `${probe.server}, ${probe.request}${probe.loginLoad === undefined ? "" : " + logins"}`;
  return `round ${run.round}/${rounds}  ${comparison.name.padEnd(41)} ${label.padEnd(27)} ` +
    `${shown.padStart(9)} ${format.unit}${load}${failure}`;
}
