import assert from "node:assert/strict";
import { join } from "node:path";
import { timerFiresDuring } from "../../tests/helpers/event_loop.ts";
import { type Database, isUniqueViolation } from "./database.ts";
import { openEmbedded } from "./embedded.ts";
import { openEmbeddedThreaded } from "./embedded_threaded.ts";

async function withThreaded(fn: (db: Database) => Promise<void>, dataDir: string | null = null): Promise<void> {
  const db = await openEmbeddedThreaded(dataDir);
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/** Whether timers fire while `db` runs a 300 ms query. */
const timerFiresDuringQuery = (db: Database) => timerFiresDuring(() => db.query("SELECT pg_sleep(0.3)"));

Deno.test("embedded thread: timers keep firing while a query runs (in-process PGlite blocks them)", async () => {
  await withThreaded(async (db) => assert.equal(await timerFiresDuringQuery(db), true));
  // The control: the same query in-process holds the event loop until it is done.
  const inProcess = await openEmbedded(null);
  try {
    assert.equal(await timerFiresDuringQuery(inProcess), false);
  } finally {
    await inProcess.close();
  }
});

Deno.test("embedded thread: parameters and rows cross intact (text[], uuid, timestamptz as Date, null)", () =>
  withThreaded(async (db) => {
    const [row] = await db.query<{ keys: string[]; id: string; at: Date; nothing: null }>(
      "SELECT $1::text[] AS keys, gen_random_uuid()::text AS id, now() AS at, NULL AS nothing",
      [["user:a", "ip:127.0.0.1"]],
    );
    assert.deepEqual(row.keys, ["user:a", "ip:127.0.0.1"]);
    assert.match(row.id, /^[0-9a-f-]{36}$/);
    assert.ok(row.at instanceof Date && Math.abs(row.at.getTime() - Date.now()) < 60_000);
    assert.equal(row.nothing, null);
  }));

Deno.test("embedded thread: SQL errors keep their SQLSTATE code; the database stays usable", () =>
  withThreaded(async (db) => {
    await db.exec("CREATE TABLE t (name text PRIMARY KEY)");
    await db.query("INSERT INTO t VALUES ($1)", ["a"]);
    const duplicate = await db.query("INSERT INTO t VALUES ($1)", ["a"]).catch((error) => error);
    assert.ok(isUniqueViolation(duplicate), String(duplicate));
    await assert.rejects(db.query("SELECT * FROM missing_table"), /missing_table/);
    assert.deepEqual(await db.query("SELECT name FROM t"), [{ name: "a" }]);
  }));

Deno.test("embedded thread: a transaction commits what its work did, and rolls all of it back when the work throws", () =>
  withThreaded(async (db) => {
    await db.exec("CREATE TABLE t (n integer)");
    const value = await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES ($1)", [1]);
      await tx.query("INSERT INTO t VALUES ($1)", [2]);
      return "committed";
    });
    assert.equal(value, "committed");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES ($1)", [3]);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    // A failing statement aborts the transaction too.
    await assert.rejects(db.transaction((tx) => tx.query("INSERT INTO t VALUES ('not a number')")));
    assert.deepEqual((await db.query<{ n: number }>("SELECT n FROM t ORDER BY n")).map((r) => r.n), [1, 2]);
  }));

Deno.test("embedded thread: data under a directory outlives close(); after close() queries fail, close() again is a no-op", async () => {
  const dir = await Deno.makeTempDir({ prefix: "h1server-embedded-" });
  try {
    const dataDir = join(dir, "data");
    await withThreaded(async (db) => {
      await db.exec("CREATE TABLE kept (v text)");
      await db.query("INSERT INTO kept VALUES ($1)", ["still here"]);
    }, dataDir);
    const db = await openEmbeddedThreaded(dataDir);
    assert.equal(db.location, dataDir);
    assert.deepEqual(await db.query("SELECT v FROM kept"), [{ v: "still here" }]);
    await db.close();
    await assert.rejects(db.query("SELECT 1"), /closed/);
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
