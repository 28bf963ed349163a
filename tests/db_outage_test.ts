/**
 * The app against a PostgreSQL server that goes away and comes back: a private cluster of our
 * own on a free port (never the shared server), stopped and started under a running app.
 * While the database is down, routes that need it answer 503 JSON with Retry-After and the rest
 * (health, static files) keep answering 200; when it is back, the same app serves again, no
 * restart. Also: an app started while the database is down retries its migrations until it is up.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { type Database, DatabaseUnavailableError, type Queryable } from "../src/db/database.ts";
import { type Answer, launchApp, readAnswer, TEST_JWT_SECRET, type TestApp } from "./helpers/app_core.ts";
import { pollUntil, privateClusterUnavailable, startPrivateCluster, testIf } from "./helpers/postgres.ts";
import { within } from "./helpers/server.ts";

const CLUSTER_UNMET = privateClusterUnavailable();
const UNAVAILABLE_BODY = "Service temporarily unavailable, try again shortly";

function call(app: TestApp, path: string, init: RequestInit = {}): Promise<Answer> {
  return app.fetch(path, init).then(readAnswer);
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const register = (app: TestApp, username: string, password: string) =>
  call(app, "/api/register", json({ username, password }));
const login = (app: TestApp, username: string, password: string) =>
  call(app, "/api/login", json({ username, password }));
const profile = (app: TestApp, token: string) =>
  call(app, "/api/profile", { headers: { authorization: `Bearer ${token}` } });

function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

function assertUnavailable(answer: Answer, what: string): void {
  assert.equal(answer.status, 503, `${what}: ${answer.status} ${answer.text}`);
  assert.equal(answer.headers.get("content-type"), "application/json; charset=utf-8", what);
  const retryAfter = Number(answer.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `${what}: retry-after ${retryAfter}`);
  assert.equal(answer.body.error, UNAVAILABLE_BODY, what);
  assert.equal(typeof answer.body.request_id, "string", `${what}: a 5xx carries the request id`);
}

/** Routes that do not touch the database keep working. */
async function assertDatabaseFreeRoutesWork(app: TestApp): Promise<void> {
  const health = await call(app, "/api/health");
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: "ok" });
  const page = await call(app, "/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
}

testIf(
  CLUSTER_UNMET,
  "PostgreSQL outage: data routes answer 503 with Retry-After, health and / stay 200, then it recovers without a restart",
  async () => {
    await using cluster = await startPrivateCluster();
    // Declared after the cluster, so disposed before it: the app closes its pool first.
    await using app = await launchApp({ DATABASE_URL: cluster.url, DB_POOL_SIZE: "4" });
    assert.match(app.running.summary, new RegExp(`database: postgres 127\\.0\\.0\\.1:${cluster.port}/postgres\\b`));

    const username = uniqueName("outage");
    const password = `pw-${crypto.randomUUID()}`;
    assert.equal((await register(app, username, password)).status, 201);
    const loggedIn = await login(app, username, password);
    assert.equal(loggedIn.status, 200);
    const token = loggedIn.body.token as string;
    assert.equal((await profile(app, token)).status, 200);

    await cluster.stop();
    assertUnavailable(await login(app, username, password), "POST /api/login while down");
    assertUnavailable(await profile(app, token), "GET /api/profile while down");
    assertUnavailable(await register(app, uniqueName("down"), password), "POST /api/register while down");
    // Several in a row: the pool keeps failing fast, it does not wedge.
    for (let i = 0; i < 3; i++) assertUnavailable(await login(app, username, password), `login while down #${i + 2}`);
    await assertDatabaseFreeRoutesWork(app);
    assert.ok(app.logs.matching("request not served").length >= 1, "the 503s are logged as not served");
    assert.equal(app.logs.matching("request failed").length, 0, "no 500s (unexpected errors) while down");

    await cluster.start();
    const back = await pollUntil("login after PostgreSQL is back", async () => {
      const answer = await login(app, username, password);
      return answer.status === 503 ? undefined : answer;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(back.status, 200, back.text);
    assert.equal((await profile(app, token)).status, 200, "the old token works again");
    assert.equal((await profile(app, back.body.token as string)).status, 200);
    assert.equal((await register(app, uniqueName("after"), password)).status, 201);
    await assertDatabaseFreeRoutesWork(app);
    assert.equal(app.logs.matching("request failed").length, 0, "no 500s at any point");
  },
);

testIf(CLUSTER_UNMET, "PostgreSQL restarted twice between requests: the pool reconnects each time", async () => {
  await using cluster = await startPrivateCluster();
  await using app = await launchApp({ DATABASE_URL: cluster.url });
  const username = uniqueName("restart");
  const password = `pw-${crypto.randomUUID()}`;
  assert.equal((await register(app, username, password)).status, 201);
  for (let round = 1; round <= 2; round++) {
    await cluster.restart();
    // The pooled connections died with the old server: the first request may see that (503), never a 500.
    const answer = await pollUntil(`login after restart ${round}`, async () => {
      const result = await login(app, username, password);
      if (result.status === 503) return undefined;
      return result;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    assert.equal(answer.status, 200, `round ${round}: ${answer.text}`);
  }
  assert.equal(app.logs.matching("request failed").length, 0, "no 500s");
});

testIf(
  CLUSTER_UNMET,
  "an app started while PostgreSQL is down starts, answers 503 on data routes, and migrates once it is up",
  async () => {
    await using cluster = await startPrivateCluster({ start: false });
    await using app = await launchApp({ DATABASE_URL: cluster.url });
    assert.match(app.running.summary, /^h1server listening on http:\/\/127\.0\.0\.1:\d+ /);
    assert.match(app.running.summary, new RegExp(`database: postgres 127\\.0\\.0\\.1:${cluster.port}/postgres\\b`));
    assert.ok(app.logs.matching("retrying migrations").length >= 1, "the failed first attempt is logged");

    const username = uniqueName("late");
    const password = `pw-${crypto.randomUUID()}`;
    assertUnavailable(await register(app, username, password), "register before migrations");
    assertUnavailable(await login(app, username, password), "login before migrations");
    // A validly signed token: the token checks pass, the user lookup needs the database.
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ username, role: "user" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(crypto.randomUUID())
      .setIssuer("h1server")
      .setAudience("h1server")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(crypto.randomUUID())
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    assertUnavailable(await profile(app, token), "profile before migrations");
    await assertDatabaseFreeRoutesWork(app);

    await cluster.start();
    // Migrations are retried every 2 s; until then data routes keep answering 503.
    const registered = await pollUntil("register once migrations have run", async () => {
      const answer = await register(app, username, password);
      return answer.status === 503 ? undefined : answer;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(registered.status, 201, registered.text);
    assert.equal(app.logs.matching("migrations applied").length, 1);
    assert.match(app.logs.matching("migrations applied")[0], /001,002/);
    const loggedIn = await login(app, username, password);
    assert.equal(loggedIn.status, 200);
    assert.equal((await profile(app, loggedIn.body.token as string)).status, 200);
  },
);

// ── close() while a migration retry is in flight ─────────────────────────────────

/**
 * A database that is "down": every transaction fails as unavailable, except the one the test
 * holds open (`hold()`), which stays in flight until the test settles it. After `retire()`,
 * calls fail with a plain error, which ends start()'s retry loop (it only retries unavailability).
 */
function flakyDatabase() {
  let holdNext = false;
  let retired = false;
  let held = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  let calls = 0;
  const db: Database = {
    kind: "postgres",
    location: "fake:0/down",
    query: () => Promise.reject(new DatabaseUnavailableError()),
    exec: () => Promise.reject(new DatabaseUnavailableError()),
    transaction: <T>(_work: (tx: Queryable) => Promise<T>): Promise<T> => {
      calls++;
      if (retired) return Promise.reject(new Error("fake database retired"));
      if (!holdNext) return Promise.reject(new DatabaseUnavailableError());
      holdNext = false;
      entered.resolve();
      held = Promise.withResolvers<void>();
      return held.promise.then(() => Promise.reject(new DatabaseUnavailableError()));
    },
    close: () => Promise.resolve(),
  };
  return {
    db,
    get calls() {
      return calls;
    },
    /** The next transaction stays in flight; resolves when it has started. */
    hold: () => {
      holdNext = true;
      return entered.promise;
    },
    /** Ends the held transaction (as unavailable). */
    release: () => held.resolve(),
    retire: () => {
      retired = true;
    },
  };
}

Deno.test("close() while a migration retry is in flight schedules no further retry", async () => {
  const fake = flakyDatabase();
  const app = await launchApp({}, {}, { database: fake.db });
  let retriesAfterClose = 0;
  try {
    assert.equal(app.logs.matching("retrying migrations").length, 1);
    // The retry fires 2 s after start-up; this holds it in flight.
    await within(fake.hold(), 5_000, "the migration retry");
    await app.close();
    const before = app.logs.matching("retrying migrations").length;
    fake.release();
    // Let the held attempt's rejection run through start()'s handler.
    await new Promise((resolve) => setTimeout(resolve, 0));
    retriesAfterClose = app.logs.matching("retrying migrations").length - before;
  } finally {
    fake.retire();
    await app.close();
    if (retriesAfterClose > 0) {
      // A retry was scheduled after close(): wait (bounded) for it to fire into the retired database and stop,
      // so that the timer does not outlive this test.
      await pollUntil("the stray retry to end", () => {
        return Promise.resolve(app.logs.matching("migrations failed").length > 0 ? true : undefined);
      }, { timeoutMs: 5_000, intervalMs: 50 });
    }
  }
  assert.equal(retriesAfterClose, 0, "after close(), a failed in-flight attempt armed another retry timer");
});
