import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { timerFiresDuring } from "../../tests/helpers/event_loop.ts";
import { InlineHasher, type PasswordHasher, WorkerPoolHasher } from "./passwords.ts";

const CRASHING_WORKER = new URL("../../tests/helpers/crashing_password_worker.ts", import.meta.url);

async function withPool(size: number, cost: number, fn: (pool: WorkerPoolHasher) => Promise<void>, url?: URL) {
  const pool = new WorkerPoolHasher(size, cost, url);
  try {
    await fn(pool);
  } finally {
    pool.close();
  }
}

/** Whether timers fire while `hasher` hashes. */
const timerFiresDuringHash = (hasher: PasswordHasher) =>
  timerFiresDuring(() => hasher.hash("a password of some length"));

Deno.test("worker pool: a hash carries the configured cost, verifies its password and refuses another", () =>
  withPool(2, 5, async (pool) => {
    const hash = await pool.hash("correct horse battery");
    assert.equal(bcrypt.getRounds(hash), 5);
    assert.equal(await pool.verify("correct horse battery", hash), true);
    assert.equal(await pool.verify("correct horse batterx", hash), false);
    assert.equal(pool.needsRehash(hash), false);
    assert.equal(pool.needsRehash(bcrypt.hashSync("x", 4)), true);
    assert.equal(pool.needsRehash("not a bcrypt hash"), true);
  }));

Deno.test("worker pool: timers keep firing while bcrypt runs (the inline hasher blocks them)", async () => {
  // Cost 10 takes tens of milliseconds: long enough for a 0 ms timer, in a worker.
  await withPool(1, 10, async (pool) => assert.equal(await timerFiresDuringHash(pool), true));
  // The control: on the main thread the same hash finishes before any timer can run.
  assert.equal(await timerFiresDuringHash(new InlineHasher(10)), false);
});

Deno.test("worker pool: more concurrent jobs than workers all complete with the right answers", () =>
  withPool(2, 4, async (pool) => {
    const passwords = Array.from({ length: 12 }, (_, i) => `password-number-${i}`);
    const hashes = await Promise.all(passwords.map((password) => pool.hash(password)));
    const checks = await Promise.all(hashes.map((hash, i) => pool.verify(passwords[(i + 1) % 12], hash)));
    assert.deepEqual(checks, passwords.map(() => false));
    const own = await Promise.all(hashes.map((hash, i) => pool.verify(passwords[i], hash)));
    assert.deepEqual(own, passwords.map(() => true));
  }));

Deno.test("worker pool: a crashed worker fails its job instead of leaving it pending, and is replaced", () =>
  withPool(1, 4, async (pool) => {
    await assert.rejects(pool.hash("crash"), /password worker crashed/);
    // The only worker died; its replacement serves the next jobs.
    const hash = await pool.hash("after the crash");
    assert.equal(await pool.verify("after the crash", hash), true);
  }, CRASHING_WORKER));

Deno.test("worker pool: close() rejects the jobs in flight and every later one", async () => {
  const pool = new WorkerPoolHasher(1, 10);
  const inFlight = pool.hash("still hashing");
  pool.close();
  await assert.rejects(inFlight, /password workers stopped/);
  await assert.rejects(pool.verify("x", "y"), /password workers stopped/);
});

Deno.test("worker pool: fewer than one worker is a programming error", () => {
  assert.throws(() => new WorkerPoolHasher(0, 4), RangeError);
});
