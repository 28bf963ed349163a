import assert from "node:assert/strict";
import {
  type AuthContext,
  authReport,
  type AuthRun,
  describeProbe,
  probeP99,
  roundsFor,
  runLine,
  summarize,
} from "./auth_report.ts";
import { AUTH_COMPARISONS, type AuthComparison } from "./scenarios.ts";

const LOGINS: AuthComparison = {
  name: "auth logins c16",
  section: "logins",
  measured: { server: "worker pool", request: "login", connections: 16 },
  against: { server: "main thread", request: "login", connections: 16 },
};

const P99: AuthComparison = {
  name: "auth health-p99 under logins, worker pool",
  section: "responsiveness",
  measured: { server: "worker pool", request: "health", connections: 1, pauseMs: 1, loginLoad: 16 },
  against: { server: "worker pool", request: "health", connections: 1, pauseMs: 1 },
  maxRatio: 2,
  minRounds: 3,
};

function run(comparison: AuthComparison, side: "measured" | "against", round: number, values: Partial<AuthRun>) {
  return {
    comparison: comparison.name,
    side,
    server: comparison[side].server,
    round,
    rate: null,
    p99Ms: null,
    loadRate: null,
    failure: null,
    output: "",
    ...values,
  } satisfies AuthRun;
}

const CONTEXT: AuthContext = { rounds: 3, duration: 2, nproc: 2, defaultWorkers: 1 };

Deno.test("summarize: medians of the rates and of the per-round ratios", () => {
  const runs = [
    run(LOGINS, "measured", 1, { rate: 4 }),
    run(LOGINS, "against", 1, { rate: 2 }),
    run(LOGINS, "measured", 2, { rate: 3 }),
    run(LOGINS, "against", 2, { rate: 3 }),
    run(LOGINS, "measured", 3, { rate: 9 }),
    run(LOGINS, "against", 3, { rate: 6 }),
  ];
  const summary = summarize(LOGINS, runs);
  assert.equal(summary.measured, 4);
  assert.equal(summary.against, 3);
  assert.equal(summary.ratio, 1.5); // ratios 2, 1, 1.5
  assert.equal(summary.verdict, null);
  assert.deepEqual(summary.failed, { measured: 0, against: 0 });
  assert.deepEqual(summary.runs, { measured: 3, against: 3 });
});

Deno.test("summarize: a failed run counts in neither the medians nor the ratios", () => {
  const runs = [
    run(LOGINS, "measured", 1, { rate: 4 }),
    run(LOGINS, "against", 1, { rate: 2, failure: "3 failed logins" }),
    run(LOGINS, "measured", 2, { rate: 3 }),
    run(LOGINS, "against", 2, { rate: 3 }),
  ];
  const summary = summarize(LOGINS, runs);
  assert.equal(summary.against, 3);
  assert.equal(summary.ratio, 1);
  assert.deepEqual(summary.failed, { measured: 0, against: 1 });
});

Deno.test("summarize: responsiveness compares p99s against the target", () => {
  const pass = [
    run(P99, "measured", 1, { p99Ms: 0.5, loadRate: 3.5 }),
    run(P99, "against", 1, { p99Ms: 0.3 }),
  ];
  assert.equal(summarize(P99, pass).verdict, "PASS");
  assert.equal(summarize(P99, pass).loadRate, 3.5);
  const fail = [run(P99, "measured", 1, { p99Ms: 0.7 }), run(P99, "against", 1, { p99Ms: 0.3 })];
  assert.equal(summarize(P99, fail).verdict, "FAIL");
  // Nothing valid to judge: FAIL, not PASS.
  assert.equal(summarize(P99, []).verdict, "FAIL");
});

Deno.test("summarize: no answer at all (Infinity) fails with an infinite ratio", () => {
  const runs = [run(P99, "measured", 1, { p99Ms: Infinity }), run(P99, "against", 1, { p99Ms: 0.4 })];
  const summary = summarize(P99, runs);
  assert.equal(summary.measured, Infinity);
  assert.equal(summary.ratio, Infinity);
  assert.equal(summary.verdict, "FAIL");
});

Deno.test("probeP99: Infinity when wrk got no answer, else its p99", () => {
  assert.equal(probeP99({ requestsPerSec: 0, p99Ms: null, socketErrors: 0, non2xx: 0 }), Infinity);
  assert.equal(probeP99({ requestsPerSec: 812.5, p99Ms: 0.39, socketErrors: 0, non2xx: 0 }), 0.39);
});

Deno.test("roundsFor: --rounds, or the comparison's minimum", () => {
  assert.equal(roundsFor(P99, 1), 3);
  assert.equal(roundsFor(P99, 5), 5);
  assert.equal(roundsFor(LOGINS, 1), 1);
});

Deno.test("describeProbe", () => {
  assert.equal(describeProbe(LOGINS.measured), "worker pool: POST /api/login, 16 in flight");
  assert.equal(describeProbe(P99.measured), "worker pool: GET /api/health, c1, 1 ms pauses, under 16 logins");
  assert.equal(
    describeProbe({ server: "worker pool", request: "profile", connections: 16 }),
    "worker pool: GET /api/profile, c16",
  );
});

Deno.test("authReport: the layout, one section per kind, targets, failures", () => {
  const runs = [
    run(P99, "measured", 1, { p99Ms: 3.5, loadRate: 3.6 }),
    run(P99, "against", 1, { p99Ms: 0.35 }),
    run(LOGINS, "measured", 1, { rate: 3.6 }),
    run(LOGINS, "against", 1, { failure: "login load exited with code 1" }),
  ];
  const report = authReport([LOGINS, P99], runs, { ...CONTEXT, rounds: 1 });
  assert.match(report, /^## Accounts and auth/);
  assert.match(report, /2 core\(s\), nothing pinned/);
  assert.match(report, /one worker per CPU but one: here 1\./);
  assert.doesNotMatch(report, /PostgreSQL rows left out/);
  assert.match(report, /- 1 \(p99s: 3\) round\(s\) × 2 s per run/);
  assert.match(report, /### Logins per second/);
  assert.match(
    report,
    /\| auth logins c16 \| worker pool: POST \/api\/login, 16 in flight \| .* \| 3\.60 \| n\/a \*\*FAIL 1\/1\*\* \| n\/a \| — \|/,
  );
  assert.match(report, /### Responsiveness/);
  assert.match(report, /\| 3\.50 \| 0\.35 \| 10\.00 \| ≤ 2×: \*\*FAIL\*\* \| 3\.60 \|/);
  assert.doesNotMatch(report, /### Profile GET/);
  assert.match(
    report,
    /Failed runs:\n- auth logins c16, against \(main thread\), round 1: login load exited with code 1/,
  );
});

Deno.test("authReport: unknown pool size, PostgreSQL rows left out, no answer", () => {
  const runs = [run(P99, "measured", 1, { p99Ms: Infinity }), run(P99, "against", 1, { p99Ms: 0.5 })];
  const report = authReport([P99], runs, { ...CONTEXT, defaultWorkers: null, skipped: "not reachable" });
  assert.doesNotMatch(report, /here \d/);
  assert.match(report, /- PostgreSQL rows left out: not reachable\./);
  assert.match(report, /\| ∞ \(no answer\) \| 0\.50 \| ∞ \|/);
});

Deno.test("runLine: value, unit, load and failure", () => {
  const line = runLine(P99, run(P99, "measured", 2, { p99Ms: 3.72, loadRate: 3.81 }), 3);
  assert.match(
    line,
    /^round 2\/3 {2}auth health-p99 under logins, worker pool +worker pool, health \+ logins +3\.72 p99 ms/,
  );
  assert.match(line, /\(3\.81 logins\/s meanwhile\)$/);
  assert.match(runLine(LOGINS, run(LOGINS, "against", 1, { failure: "x" }), 3), /n\/a logins\/s {2}FAIL: x$/);
});

Deno.test("AUTH_COMPARISONS: unique names that --only auth selects, sane probes", () => {
  const names = AUTH_COMPARISONS.map((comparison) => comparison.name);
  assert.equal(new Set(names).size, names.length);
  for (const comparison of AUTH_COMPARISONS) {
    assert.ok(comparison.name.includes("auth"), comparison.name);
    for (const probe of [comparison.measured, comparison.against]) {
      // wrk cannot pace a profile GET, and logins come from the login load.
      assert.ok(probe.pauseMs === undefined || probe.request === "health");
      assert.ok(probe.loginLoad === undefined || probe.request !== "login");
    }
    if (comparison.section === "responsiveness") assert.ok((comparison.minRounds ?? 1) >= 3);
  }
});
