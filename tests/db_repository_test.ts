/**
 * One suite of migration and repository tests, registered once per database implementation:
 * `[embedded]` (PGlite: in memory for the migration tests, a DATA_DIR copy of a migrated
 * template for the rest) and `[postgres]` (a real server, a throw-away database per test). The same SQL must behave the same on both. When the PostgreSQL server cannot be
 * reached, the `[postgres]` tests are reported as ignored, with the reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Database } from "../src/db/database.ts";
import { openEmbedded } from "../src/db/embedded.ts";
import { openEmbeddedThreaded } from "../src/db/embedded_threaded.ts";
import { addressKey, LoginThrottle, type ThrottleOptions, userKey } from "../src/db/login_throttle.ts";
import { migrate, MigrationError, readMigrations } from "../src/db/migrate.ts";
import { connectPostgres } from "../src/db/postgres.ts";
import { type Role, UsernameTakenError, UserRepository } from "../src/db/users.ts";
import { MIGRATIONS_DIR } from "../src/start.ts";
import { withTestEmbedded } from "./helpers/embedded.ts";
import { createThrowawayDatabase, pollUntil, sharedServerUnavailable, testIf } from "./helpers/postgres.ts";

const MIGRATIONS = await readMigrations(MIGRATIONS_DIR);
const PROJECT_VERSIONS = MIGRATIONS.map((m) => m.version);

// ── The two backends ───────────────────────────────────────────────────────────

interface Backend {
  readonly name: "embedded" | "embedded thread" | "postgres";
  /** Why this backend cannot run here (null: it can). */
  readonly unmet: string | null;
  /** A fresh, empty database, for this test only. */
  withFresh(work: (db: Database) => Promise<void>): Promise<void>;
  /** A migrated database, for this test only. */
  withMigrated(work: (db: Database) => Promise<void>): Promise<void>;
  /**
   * Two handles on one fresh database, as two app instances would have them: two separate
   * connection pools on PostgreSQL; on the embedded database (a single connection that
   * cannot be shared between processes) the same instance twice.
   */
  withTwoHandles(work: (a: Database, b: Database) => Promise<void>): Promise<void>;
}

const embedded: Backend = {
  name: "embedded",
  unmet: null,
  // Every embedded database is opened and closed inside its test (see helpers/embedded.ts for PGlite's timer).
  // Migrations run on a fresh in-memory database (DATA_DIR=":memory:"); the repository tests on a copy of a
  // migrated on-disk template (the default DATA_DIR mode), which opens in ~0.2 s instead of ~1.5 s.
  withFresh: async (work) => {
    const db = await openEmbedded(null);
    try {
      await work(db);
    } finally {
      await db.close();
    }
  },
  withMigrated: (work) => withTestEmbedded(work, { migrated: true }),
  withTwoHandles: (work) => embedded.withFresh((db) => work(db, db)),
};

/** The embedded database as the server opens it: on a thread of its own (openEmbeddedThreaded). */
const embeddedThread: Backend = {
  name: "embedded thread",
  unmet: null,
  withFresh: async (work) => {
    const db = await openEmbeddedThreaded(null);
    try {
      await work(db);
    } finally {
      await db.close();
    }
  },
  withMigrated: (work) => withTestEmbedded(work, { migrated: true, threaded: true }),
  withTwoHandles: (work) => embeddedThread.withFresh((db) => work(db, db)),
};

const postgres: Backend = {
  name: "postgres",
  unmet: await sharedServerUnavailable(),
  withFresh: async (work) => {
    await using throwaway = await createThrowawayDatabase();
    const db = connectPostgres(throwaway.url, { max: 4 });
    try {
      await work(db);
    } finally {
      await db.close();
    }
  },
  withMigrated: (work) =>
    postgres.withFresh(async (db) => {
      await migrate(db, MIGRATIONS);
      await work(db);
    }),
  withTwoHandles: async (work) => {
    await using throwaway = await createThrowawayDatabase();
    const a = connectPostgres(throwaway.url, { max: 2 });
    const b = connectPostgres(throwaway.url, { max: 2 });
    try {
      await work(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
};

const BACKENDS: readonly Backend[] = [embedded, embeddedThread, postgres];

/** Registers `name` once per backend, as "[backend] name". */
function suite(name: string, fn: (backend: Backend) => Promise<void>): void {
  for (const backend of BACKENDS) testIf(backend.unmet, `[${backend.name}] ${name}`, () => fn(backend));
}

/** A test on a fresh, empty database, once per backend. */
function fresh(name: string, fn: (db: Database) => Promise<void>): void {
  suite(name, (backend) => backend.withFresh(fn));
}

/** A test on a migrated database, once per backend. */
function migrated(name: string, fn: (db: Database) => Promise<void>): void {
  suite(name, (backend) => backend.withMigrated(fn));
}

/** A test with two handles on one fresh database, once per backend. */
function twoHandles(name: string, fn: (a: Database, b: Database) => Promise<void>): void {
  suite(name, (backend) => backend.withTwoHandles(fn));
}

// ── Helpers ────────────────────────────────────────────────────────────────────

/** A username no other test uses (valid: 3–32 of [A-Za-z0-9_.-]). */
function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function appliedRows(db: Database): Promise<{ version: string; name: string; applied_at: unknown }[]> {
  return await db.query<{ version: string; name: string; applied_at: unknown }>(
    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
  );
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const [row] = await db.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [table]);
  return row.found !== null;
}

/** The SQLSTATE of what `promise` rejects with (fails if it resolves). */
async function sqlState(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    assert.equal(typeof code, "string", `expected a database error with a SQLSTATE, got ${error}`);
    return code as string;
  }
  assert.fail("expected the statement to be refused");
}

/** A migrations directory holding `files` (name → SQL), written in reverse name order. */
async function migrationsDir(files: Record<string, string>): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "h1server-migrations-" });
  for (const name of Object.keys(files).sort().reverse()) await Deno.writeTextFile(join(dir, name), files[name]);
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

// ── Migrations ─────────────────────────────────────────────────────────────────

fresh("the project's migrations apply in order and record each version with its name", async (db) => {
  assert.deepEqual(PROJECT_VERSIONS, [...PROJECT_VERSIONS].sort(), "readMigrations returns them in version order");
  assert.ok(PROJECT_VERSIONS.length >= 2);
  const before = Date.now();
  const applied = await migrate(db, MIGRATIONS);
  assert.deepEqual(applied, PROJECT_VERSIONS);

  const rows = await appliedRows(db);
  assert.deepEqual(
    rows.map(({ version, name }) => ({ version, name })),
    MIGRATIONS.map(({ version, name }) => ({ version, name })),
  );
  for (const row of rows) {
    assert.ok(row.applied_at instanceof Date, `applied_at is a Date: ${row.applied_at}`);
    assert.ok(Math.abs(row.applied_at.getTime() - before) < 60_000, `applied_at ${row.applied_at} is recent`);
  }
  assert.equal(await tableExists(db, "users"), true);
  assert.equal(await tableExists(db, "login_throttle"), true);
});

fresh("a second migrate() applies nothing and changes nothing (idempotent)", async (db) => {
  assert.deepEqual(await migrate(db, MIGRATIONS), PROJECT_VERSIONS);
  const rows = await appliedRows(db);
  const users = new UserRepository(db);
  await users.create(uniqueName("idem"), "hash");

  assert.deepEqual(await migrate(db, MIGRATIONS), []);
  assert.deepEqual(await migrate(db, MIGRATIONS), []);
  assert.deepEqual(await appliedRows(db), rows, "schema_migrations unchanged (same rows, same applied_at)");
  assert.equal(await users.count(), 1, "data kept");
});

fresh("migrations run in version order, not file-system order: each sees the one before", async (db) => {
  await using dir = await migrationsDir({
    "001_create_log.sql": "CREATE TABLE order_log (seq serial PRIMARY KEY, version text NOT NULL);",
    "002_second.sql": "INSERT INTO order_log (version) VALUES ('002');",
    "010_tenth.sql": "INSERT INTO order_log (version) VALUES ('010');",
    "003_third.sql": "ALTER TABLE order_log ADD COLUMN note text; INSERT INTO order_log (version) VALUES ('003');",
  });
  const migrations = await readMigrations(dir.dir);
  assert.deepEqual(migrations.map((m) => m.version), ["001", "002", "003", "010"]);
  assert.deepEqual(await migrate(db, migrations), ["001", "002", "003", "010"]);
  const rows = await db.query<{ version: string }>("SELECT version FROM order_log ORDER BY seq");
  assert.deepEqual(rows.map((r) => r.version), ["002", "003", "010"]);
  assert.deepEqual((await appliedRows(db)).map((r) => r.version), ["001", "002", "003", "010"]);
});

fresh(
  "a failing migration is rolled back and not recorded; earlier ones stay; a fixed one applies later",
  async (db) => {
    await using broken = await migrationsDir({
      "001_good.sql": "CREATE TABLE good (id integer);",
      "002_bad.sql": "CREATE TABLE half_done (id integer); INSERT INTO no_such_table VALUES (1);",
      "003_later.sql": "CREATE TABLE later (id integer);",
    });
    await assert.rejects(migrate(db, await readMigrations(broken.dir)));
    assert.deepEqual((await appliedRows(db)).map((r) => r.version), ["001"]);
    assert.equal(await tableExists(db, "good"), true);
    assert.equal(await tableExists(db, "half_done"), false, "the failed migration's DDL was rolled back");
    assert.equal(await tableExists(db, "later"), false, "nothing after the failure ran");

    await using fixed = await migrationsDir({
      "001_good.sql": "CREATE TABLE good (id integer);",
      "002_bad.sql": "CREATE TABLE half_done (id integer);",
      "003_later.sql": "CREATE TABLE later (id integer);",
    });
    assert.deepEqual(await migrate(db, await readMigrations(fixed.dir)), ["002", "003"]);
    assert.equal(await tableExists(db, "half_done"), true);
  },
);

twoHandles(
  "two migrate() calls started concurrently (PostgreSQL: two pools) apply each migration exactly once",
  async (a, b) => {
    const [fromA, fromB] = await Promise.all([migrate(a, MIGRATIONS), migrate(b, MIGRATIONS)]);
    const all = [...fromA, ...fromB].sort();
    assert.deepEqual(all, PROJECT_VERSIONS, `each version applied by exactly one call: A=${fromA} B=${fromB}`);
    const [count] = await a.query<{ n: number; distinct_n: number }>(
      "SELECT count(*)::integer AS n, count(DISTINCT version)::integer AS distinct_n FROM schema_migrations",
    );
    assert.deepEqual(count, { n: PROJECT_VERSIONS.length, distinct_n: PROJECT_VERSIONS.length });
    assert.deepEqual(await migrate(b, MIGRATIONS), []);
    assert.deepEqual(await migrate(a, MIGRATIONS), []);
  },
);

Deno.test("readMigrations refuses a stray file name and a version used twice", async () => {
  {
    await using dir = await migrationsDir({ "001_ok.sql": "SELECT 1;", "2_missing_digits.sql": "SELECT 1;" });
    await assert.rejects(readMigrations(dir.dir), (error: unknown) => {
      assert.ok(error instanceof MigrationError);
      assert.match(error.message, /2_missing_digits\.sql/);
      return true;
    });
  }
  {
    await using dir = await migrationsDir({ "001_one.sql": "SELECT 1;", "001_two.sql": "SELECT 1;" });
    await assert.rejects(readMigrations(dir.dir), /version 001 is used twice/);
  }
});

// ── UserRepository ─────────────────────────────────────────────────────────────

migrated(
  "UserRepository.create returns the account: uuid id, name as typed, role user, created_at a Date near now",
  async (db) => {
    const users = new UserRepository(db);
    const username = uniqueName("Create_Me");
    const before = Date.now();
    const user = await users.create(username, "$2b$04$hash-value");
    const after = Date.now();
    assert.match(user.id, UUID);
    assert.equal(user.username, username);
    assert.equal(user.passwordHash, "$2b$04$hash-value");
    assert.equal(user.role, "user");
    assert.ok(user.createdAt instanceof Date);
    assert.ok(
      user.createdAt.getTime() >= before - 5_000 && user.createdAt.getTime() <= after + 5_000,
      `created_at ${user.createdAt.toISOString()} within 5 s of now`,
    );
    assert.ok(Object.isFrozen(user));

    const admin = await users.create(uniqueName("admin"), "h", "admin");
    assert.equal(admin.role, "admin");
    assert.notEqual(admin.id, user.id);
  },
);

migrated("UserRepository.findByUsername ignores case; an unknown name is null", async (db) => {
  const users = new UserRepository(db);
  const username = uniqueName("MixedCase");
  const created = await users.create(username, "hash-1");
  for (const variant of [username, username.toLowerCase(), username.toUpperCase()]) {
    const found = await users.findByUsername(variant);
    assert.ok(found !== null, `found by ${variant}`);
    assert.deepEqual(found, created);
  }
  assert.equal(await users.findByUsername(uniqueName("nobody")), null);
  // Parameters, not concatenation: a quote or a pattern character is just a character.
  assert.equal(await users.findByUsername("' OR '1'='1"), null);
  assert.equal(await users.findByUsername("%"), null);
});

migrated("UserRepository.findById finds by id; an unknown id or a non-uuid is null (no query error)", async (db) => {
  const users = new UserRepository(db);
  const created = await users.create(uniqueName("byid"), "hash-2");
  assert.deepEqual(await users.findById(created.id), created);
  assert.deepEqual(await users.findById(created.id.toUpperCase()), created, "uuids compare case-insensitively");
  assert.equal(await users.findById(crypto.randomUUID()), null);
  for (const bad of ["", "not-a-uuid", "1", "' OR 1=1 --", `${created.id}x`, `{${created.id}}`]) {
    assert.equal(await users.findById(bad), null, `findById(${JSON.stringify(bad)})`);
  }
});

migrated("UserRepository.updatePasswordHash replaces only the hash of that account", async (db) => {
  const users = new UserRepository(db);
  const target = await users.create(uniqueName("rehash"), "old-hash");
  const bystander = await users.create(uniqueName("bystander"), "old-hash");
  await users.updatePasswordHash(target.id, "new-hash");
  assert.deepEqual(await users.findById(target.id), { ...target, passwordHash: "new-hash" });
  assert.deepEqual(await users.findById(bystander.id), bystander);
  // An id that matches nothing changes nothing and does not throw.
  await users.updatePasswordHash(crypto.randomUUID(), "other");
  assert.deepEqual(await users.findById(bystander.id), bystander);
});

migrated("UserRepository.count counts accounts", async (db) => {
  const users = new UserRepository(db);
  const before = await users.count();
  assert.equal(typeof before, "number");
  await users.create(uniqueName("count_a"), "h");
  await users.create(uniqueName("count_b"), "h", "admin");
  assert.equal(await users.count(), before + 2);
});

migrated("usernames are unique ignoring case: UsernameTakenError, the first account untouched", async (db) => {
  const users = new UserRepository(db);
  const username = uniqueName("Unique");
  const first = await users.create(username, "first-hash");
  const before = await users.count();
  for (const variant of [username, username.toLowerCase(), username.toUpperCase()]) {
    await assert.rejects(users.create(variant, "second-hash"), (error: unknown) => {
      assert.ok(error instanceof UsernameTakenError, `got ${error}`);
      assert.equal(error.name, "UsernameTakenError");
      return true;
    });
  }
  assert.equal(await users.count(), before);
  assert.deepEqual(await users.findByUsername(username), first);
});

migrated("concurrent creates of one username: exactly one succeeds, the rest get UsernameTakenError", async (db) => {
  const users = new UserRepository(db);
  const username = uniqueName("race");
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => users.create(i % 2 === 0 ? username : username.toUpperCase(), `h${i}`)),
  );
  const created = results.filter((r) => r.status === "fulfilled");
  const refused = results.filter((r) => r.status === "rejected");
  assert.equal(created.length, 1);
  for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof UsernameTakenError);
});

migrated("the CHECK constraints refuse an invalid username or role at the database level", async (db) => {
  const insert = (username: string, role = "user") =>
    db.query("INSERT INTO users (username, password_hash, role) VALUES ($1, 'h', $2)", [username, role]);
  const tooLong = "a".repeat(33);
  for (const bad of ["ab", tooLong, "has space", "semi;colon", "o'brien", "ümlaut", "tab\there", ""]) {
    assert.equal(await sqlState(insert(bad)), "23514", `username ${JSON.stringify(bad)}: check_violation`);
  }
  assert.equal(await sqlState(insert(uniqueName("role"), "root")), "23514", "role outside user/admin");
  // Through the repository too: a check violation is not mistaken for a taken name.
  const users = new UserRepository(db);
  assert.equal(await sqlState(users.create("x", "h")), "23514");
  assert.equal(await sqlState(users.create(uniqueName("r"), "h", "superuser" as Role)), "23514");
  // The boundaries are accepted.
  await insert(`a${crypto.randomUUID().slice(0, 2)}`);
  await insert(`${"b".repeat(24)}${crypto.randomUUID().slice(0, 8)}`);
});

// ── LoginThrottle ──────────────────────────────────────────────────────────────

const FAST: ThrottleOptions = { freeFailures: 3, baseLockSeconds: 1, maxLockSeconds: 8 };

/** Keys of this test only. */
function keys(prefix: string): { user: string; other: string; address: string } {
  const id = crypto.randomUUID();
  return { user: userKey(`${prefix}-${id}`), other: userKey(`other-${id}`), address: addressKey(`203.0.113.${id}`) };
}

/** Records failures for `key` until one locks it; returns how many that took and the lock. */
async function failUntilLocked(throttle: LoginThrottle, key: string): Promise<{ failures: number; lock: number }> {
  for (let failures = 1; failures <= 20; failures++) {
    const lock = await throttle.recordFailure([key]);
    if (lock > 0) return { failures, lock };
  }
  assert.fail("no lock after 20 failures");
}

// README: "After LOGIN_FREE_FAILURES failures for one username or one client address, further attempts get 429".
// The login handler checks the lock before it counts a failure, so the freeFailures-th failure must set it.
migrated("LoginThrottle: the freeFailures-th failure starts the lock, so the next attempt is refused", async (db) => {
  const throttle = new LoginThrottle(db, FAST);
  const { user } = keys("threshold");
  for (let i = 1; i < FAST.freeFailures; i++) {
    assert.equal(await throttle.recordFailure([user]), 0, `failure ${i} of ${FAST.freeFailures} is free`);
  }
  assert.equal(
    await throttle.recordFailure([user]),
    1,
    `after ${FAST.freeFailures} failures the key is locked (base lock 1 s) before the next attempt`,
  );
  assert.ok((await throttle.lockedFor([user])) >= 1);
});

migrated("LoginThrottle: free failures, then a lock that doubles (1, 2, 4 s…) up to the maximum", async (db) => {
  const throttle = new LoginThrottle(db, FAST);
  const { user } = keys("grow");
  const first = await failUntilLocked(throttle, user);
  assert.equal(first.lock, 1, "the first lock is the base lock");
  assert.ok(first.failures >= FAST.freeFailures, `at least ${FAST.freeFailures} failures before a lock`);
  const locks = [first.lock];
  for (let i = 0; i < 4; i++) locks.push(await throttle.recordFailure([user]));
  assert.deepEqual(locks, [1, 2, 4, 8, 8], "doubling, capped at maxLockSeconds");
  const locked = await throttle.lockedFor([user]);
  assert.ok(locked >= 7 && locked <= 8, `lockedFor ${locked} ≈ 8`);
  // The pure curve agrees with what the database recorded, and never overflows past the cap.
  const n = first.failures;
  assert.deepEqual([n, n + 1, n + 2, n + 3, n + 4, 40, 10_000].map((f) => throttle.lockSeconds(f)), [
    1,
    2,
    4,
    8,
    8,
    8,
    8,
  ]);
  assert.equal(throttle.lockSeconds(n - 1), 0);
});

migrated("LoginThrottle: no lock while failures are free; lockedFor is 0 for unknown and unlocked keys", async (db) => {
  const throttle = new LoginThrottle(db, FAST);
  const { user, other } = keys("free");
  assert.equal(await throttle.lockedFor([user]), 0);
  assert.equal(await throttle.lockedFor([]), 0);
  for (let i = 1; i < FAST.freeFailures; i++) assert.equal(await throttle.recordFailure([user]), 0);
  assert.equal(await throttle.lockedFor([user]), 0);
  assert.equal(await throttle.lockedFor([other]), 0);
});

migrated(
  "LoginThrottle: counters are per key; lockedFor over several keys is the longest lock among them",
  async (db) => {
    const throttle = new LoginThrottle(db, FAST);
    const { user, other, address } = keys("perkey");
    await failUntilLocked(throttle, other); // locked 1 s
    await failUntilLocked(throttle, user);
    await throttle.recordFailure([user]);
    assert.equal(await throttle.recordFailure([user]), 4); // locked 4 s
    assert.ok((await throttle.lockedFor([user])) >= 3);
    const otherLock = await throttle.lockedFor([other]);
    assert.ok(otherLock >= 0 && otherLock <= 1, `other locked ${otherLock} ≤ 1`);
    assert.equal(await throttle.lockedFor([address]), 0, "an untouched key is not locked by its neighbours");

    const both = await throttle.lockedFor([address, other, user]);
    assert.ok(both >= 3 && both <= 4, `lockedFor across keys = the longest (≈4), got ${both}`);

    // recordFailure over several keys counts each and returns the longest lock now in force.
    assert.equal(await throttle.recordFailure([address, user]), 8, "user's next failure: 8 s; address's first: none");
    assert.equal(await throttle.lockedFor([address]), 0);
  },
);

migrated("LoginThrottle: reset clears the keys (count starts again) and only those keys", async (db) => {
  const throttle = new LoginThrottle(db, FAST);
  const { user, other, address } = keys("reset");
  const { failures } = await failUntilLocked(throttle, user);
  for (let i = 0; i < failures; i++) await throttle.recordFailure([address]);
  await failUntilLocked(throttle, other);
  assert.ok((await throttle.lockedFor([user])) > 0);
  assert.ok((await throttle.lockedFor([address])) > 0);

  await throttle.reset([user, address]);
  assert.equal(await throttle.lockedFor([user, address]), 0);
  // Counting starts again: the same number of failures as the first time until the base lock.
  assert.deepEqual(await failUntilLocked(throttle, user), { failures, lock: 1 });
  assert.ok((await throttle.lockedFor([other])) > 0, "another key keeps its lock");
  const [row] = await db.query<{ n: number }>("SELECT count(*)::integer AS n FROM login_throttle WHERE key = $1", [
    address,
  ]);
  assert.equal(row.n, 0, "reset deletes the row");
});

migrated("LoginThrottle: a lock ends by itself on the database clock", async (db) => {
  const throttle = new LoginThrottle(db, { freeFailures: 1, baseLockSeconds: 1, maxLockSeconds: 1 });
  const { user } = keys("expiry");
  assert.equal((await failUntilLocked(throttle, user)).lock, 1);
  const started = Date.now();
  assert.equal(await throttle.lockedFor([user]), 1);
  await pollUntil("the 1 s lock to end", async () => (await throttle.lockedFor([user])) === 0 ? true : undefined, {
    timeoutMs: 3_000,
    intervalMs: 50,
  });
  assert.ok(Date.now() - started >= 500, "the lock lasted about a second");
});

Deno.test("LoginThrottle keys: usernames are lowercased, addresses kept as given", () => {
  assert.equal(userKey("Alice"), "user:alice");
  assert.equal(userKey("ALICE"), userKey("alice"));
  assert.equal(addressKey("127.0.0.1"), "ip:127.0.0.1");
  assert.equal(addressKey("::1"), "ip:::1");
});
