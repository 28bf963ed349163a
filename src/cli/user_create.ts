/**
 * `deno task user:create [--admin] <username>`: creates an account. The password is read from
 * standard input (one line, not echoed by the shell when piped), never from the command line,
 * where it would land in the shell history and the process list. The only way to make an admin.
 */
import { parseArgs } from "node:util";
import { InlineHasher, MAX_PASSWORD_BYTES } from "../auth/passwords.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { loadEnv } from "../env.ts";
import { migrate, readMigrations } from "../db/migrate.ts";
import { openDatabase } from "../db/open.ts";
import { UsernameTakenError, UserRepository } from "../db/users.ts";
import { MIGRATIONS_DIR } from "../start.ts";

const USAGE = "usage: deno task user:create [--admin] <username>   (password on standard input)";

async function readPassword(): Promise<string> {
  if (Deno.stdin.isTerminal()) await Deno.stdout.write(new TextEncoder().encode("Password: "));
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  return text.replace(/\r?\n$/, "");
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { admin: { type: "boolean" } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const username = positionals[0];
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(username)) {
    console.error("username must be 3 to 32 characters: letters, digits, '_', '.' or '-'");
    return 2;
  }
  const password = await readPassword();
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < 8 || bytes > MAX_PASSWORD_BYTES) {
    console.error(`password must be 8 to ${MAX_PASSWORD_BYTES} bytes of UTF-8`);
    return 2;
  }
  const config = loadConfig(loadEnv(), "development");
  const db = await openDatabase(config.database);
  try {
    await migrate(db, await readMigrations(MIGRATIONS_DIR));
    const hash = await new InlineHasher(config.auth.bcryptCost).hash(password);
    const user = await new UserRepository(db).create(username, hash, values.admin ? "admin" : "user");
    console.log(`created ${user.role} ${user.username} (${user.id}) in ${db.kind} ${db.location}`);
    return 0;
  } catch (error) {
    if (error instanceof UsernameTakenError) {
      console.error(`username ${username} is taken`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`h1server: ${error.message}`);
    Deno.exit(1);
  }
}
