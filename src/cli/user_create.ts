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

/** The password: piped (everything up to EOF, one trailing newline dropped) or typed at a terminal without echo. */
async function readPassword(): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
    return text.replace(/\r?\n$/, "");
  }
  return await readHiddenLine("Password: ");
}

/** One line from the terminal in raw mode, so that what is typed is not shown; Ctrl-C and Ctrl-D abort. */
async function readHiddenLine(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  await Deno.stdout.write(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const typed: number[] = [];
  try {
    const buffer = new Uint8Array(64);
    for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) throw new Error("no password given");
      for (const byte of buffer.subarray(0, n)) {
        if (byte === 0x0d || byte === 0x0a) return new TextDecoder().decode(new Uint8Array(typed));
        if (byte === 0x03 || byte === 0x04) throw new Error("aborted");
        if (byte === 0x7f || byte === 0x08) {
          // Erase one character: its UTF-8 continuation bytes (10xxxxxx), then its first byte.
          while (typed.length > 0 && (typed[typed.length - 1] & 0xc0) === 0x80) typed.pop();
          typed.pop();
        } else {
          typed.push(byte);
        }
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stdout.write(encoder.encode("\n"));
  }
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
