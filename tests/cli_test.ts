/**
 * The account commands as an operator runs them: `deno task migrate` and `deno task user:create`,
 * as subprocesses on an embedded database in a temporary DATA_DIR (the default kind of database),
 * the password piped on standard input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InlineHasher } from "../src/auth/passwords.ts";
import { openEmbedded } from "../src/db/embedded.ts";
import { UserRepository } from "../src/db/users.ts";
import { PROJECT_ROOT } from "../src/config.ts";
import { readMigrations } from "../src/db/migrate.ts";
import { MIGRATIONS_DIR } from "../src/start.ts";

interface Outcome {
  readonly code: number;
  readonly output: string;
}

async function run(script: string, args: string[], env: Record<string, string>, stdin = ""): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", join("src/cli", script), ...args],
    cwd: PROJECT_ROOT,
    // An empty DATABASE_URL counts as unset: the embedded database under DATA_DIR, whatever a developer's .env says.
    env: { DATABASE_URL: "", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function withDataDir(fn: (env: Record<string, string>, dataDir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "h1server-cli-" });
  try {
    await fn({ DATA_DIR: join(dir, "data") }, join(dir, "data"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("migrate applies every migration once; a second run finds the database up to date", () =>
  withDataDir(async (env) => {
    const first = await run("migrate.ts", [], env);
    assert.equal(first.code, 0, first.output);
    const versions = (await readMigrations(MIGRATIONS_DIR)).map((migration) => migration.version);
    assert.ok(versions.length >= 2);
    assert.ok(first.output.endsWith(`: applied ${versions.join(", ")}\n`), first.output);
    const second = await run("migrate.ts", [], env);
    assert.equal(second.code, 0, second.output);
    assert.match(second.output, /up to date/);
  }));

Deno.test("user:create --admin makes an admin from a piped password, which never appears in the output", () =>
  withDataDir(async (env, dataDir) => {
    const password = "piped-admin-password-42";
    const created = await run("user_create.ts", ["--admin", "Root_Admin"], env, `${password}\n`);
    assert.equal(created.code, 0, created.output);
    assert.match(created.output, /created admin Root_Admin/);
    assert.ok(!created.output.includes(password));

    const plain = await run("user_create.ts", ["someone"], env, "another-password-1");
    assert.equal(plain.code, 0, plain.output);
    assert.match(plain.output, /created user someone/);

    // Taken in another capitalisation, bad names and bad passwords: refused with a message, nothing created.
    const taken = await run("user_create.ts", ["root_admin"], env, "whatever-password-1\n");
    assert.equal(taken.code, 1);
    assert.match(taken.output, /username root_admin is taken/);
    const short = await run("user_create.ts", ["shorty"], env, "short\n");
    assert.equal(short.code, 2);
    assert.match(short.output, /password must be 8 to 72 bytes/);
    const badName = await run("user_create.ts", ["no spaces"], env, "long-enough-password\n");
    assert.equal(badName.code, 2);
    const usage = await run("user_create.ts", [], env);
    assert.equal(usage.code, 2);
    assert.match(usage.output, /usage: deno task user:create/);

    const db = await openEmbedded(dataDir);
    try {
      const users = new UserRepository(db);
      const admin = (await users.findByUsername("root_admin"))!;
      assert.equal(admin.role, "admin");
      assert.equal(admin.username, "Root_Admin");
      assert.equal(await new InlineHasher(4).verify(password, admin.passwordHash), true);
      assert.equal((await users.findByUsername("someone"))!.role, "user");
      assert.equal(await users.findByUsername("shorty"), null);
      assert.equal(await users.count(), 2);
    } finally {
      await db.close();
    }
  }));
