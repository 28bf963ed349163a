/**
 * The app launcher behind `startApp()` (helpers/app.ts), without any database of its own:
 * the caller passes one (`options.database`) or a DATABASE_URL for start() to open. Importing
 * this module starts nothing, unlike helpers/app.ts, whose shared embedded database lives
 * for the whole test file (see helpers/embedded.ts for why that matters in long files).
 *
 * `start(loadConfig(env), logger)` on 127.0.0.1, a free port, and a temporary web root holding
 * copies of webroot/ plus files that must never be served (dotfiles, a secret next to the root).
 */
import { join } from "node:path";
import { InlineHasher } from "../../src/auth/passwords.ts";
import { loadConfig, PROJECT_ROOT } from "../../src/config.ts";
import { type Running, start, type StartOptions } from "../../src/start.ts";
import { type CapturedLogs, captureLogs } from "./server.ts";

/** Written into every file the server must not serve; no response may contain it. */
export const SECRET = "SECRET-7f3a9c-do-not-serve";

/** The JWT key of test apps (tests that forge tokens sign with it). */
export const TEST_JWT_SECRET = "test-jwt-secret-0123456789-abcdefghijklmnop";

/** bcrypt at its lowest cost, on the main thread: tests need correctness, not slowness. */
export const TEST_HASHER = new InlineHasher(4);

export interface TestApp extends AsyncDisposable {
  readonly running: Running;
  readonly port: number;
  readonly baseUrl: string;
  /** The temporary web root. */
  readonly webRoot: string;
  readonly logs: CapturedLogs;
  /** `fetch` against the app through a client of its own (closed with the app). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface AppFiles {
  /** Extra files to create in the web root: relative path → content. */
  readonly [path: string]: string | Uint8Array;
}

/**
 * Starts the app with `env` over the test defaults, on `options.database`, or on the database
 * DATABASE_URL in `env` names (then opened and, on close, closed by the app as in production).
 */
export async function launchApp(
  env: Record<string, string> = {},
  files: AppFiles = {},
  options: StartOptions = {},
): Promise<TestApp> {
  if (options.database === undefined && env.DATABASE_URL === undefined) {
    // start() would otherwise open the embedded database under ./data.
    throw new Error("launchApp: pass options.database or DATABASE_URL");
  }
  const dir = await Deno.makeTempDir({ prefix: "h1server-app-" });
  const webRoot = join(dir, "webroot");
  await Deno.mkdir(join(webRoot, ".git"), { recursive: true });
  await copyTree(join(PROJECT_ROOT, "webroot"), webRoot);
  await Deno.writeTextFile(join(dir, ".env"), `JWT_SECRET_KEY=${SECRET}\n`);
  await Deno.writeTextFile(join(webRoot, ".env"), `JWT_SECRET_KEY=${SECRET}\n`);
  await Deno.writeTextFile(join(webRoot, ".git", "config"), `[core]\n\tsecret = ${SECRET}\n`);
  await Deno.writeTextFile(join(dir, "passwd"), `root:x:0:0:${SECRET}\n`);
  for (const [path, content] of Object.entries(files)) {
    const target = join(webRoot, path);
    if (typeof content === "string") await Deno.writeTextFile(target, content);
    else await Deno.writeFile(target, content);
  }

  const logs = captureLogs();
  let running: Running;
  try {
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      WEB_ROOT_DIR: webRoot,
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      BCRYPT_COST: "4",
      ...env,
    });
    running = await start(config, logs.logger, {
      database: options.database,
      passwords: options.passwords ?? TEST_HASHER,
    });
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const port = running.server.addr.port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const client = Deno.createHttpClient({});
  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      try {
        client.close();
        await running.close();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    })();
  return {
    running,
    port,
    baseUrl,
    webRoot,
    logs,
    fetch: (path, init) => fetch(`${baseUrl}${path}`, { ...init, client }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Copies every file under `from` into `to` (created as needed), keeping the folder structure. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/** An answer read whole: the body as text and, when it is JSON, parsed (else `{}`). */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

export async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a page, an empty body): callers look at `text`.
  }
  return { status: response.status, headers: response.headers, text, body };
}
