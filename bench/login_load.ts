/**
 * Login load for `deno task bench`: keeps `connections` POST /api/login requests in flight for
 * `seconds`, then stops sending and waits for every answer, and prints one JSON line (LoginLoadResult).
 *
 *   deno run --allow-net bench/login_load.ts <url> <connections> <seconds> <body-json>
 *
 * Why not wrk: with bcrypt on the main thread h1server answers logins in batches (16 at a time, seconds
 * apart), so a fixed wrk window counts whole batches or none; and wrk leaves up to `connections` logins
 * running in the server when it stops, which would take CPU from the next run. Here every login sent is
 * counted, over the time until its answer came, and the server is idle when this exits.
 */

export interface LoginLoad {
  /** …/api/login */
  readonly url: string;
  /** The JSON body: the bench user's credentials. */
  readonly body: string;
  readonly connections: number;
  /** How long new logins are sent; the answers to those in flight are awaited after. */
  readonly seconds: number;
}

export interface LoginLoadResult {
  /** Logins answered 200. */
  readonly completed: number;
  /** Other statuses and network errors (a connection stops sending after its first). */
  readonly failed: number;
  /** From the first request to the last answer. */
  readonly seconds: number;
  /** completed / seconds (0 when nothing was answered). */
  readonly perSecond: number;
  readonly firstFailure: string | null;
}

export function loginRate(completed: number, seconds: number): number {
  return seconds > 0 ? completed / seconds : 0;
}

export async function runLoginLoad(load: LoginLoad): Promise<LoginLoadResult> {
  const client = Deno.createHttpClient({});
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: load.body, client };
  let completed = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const start = performance.now();
  const stopAt = start + load.seconds * 1000;
  let lastAnswer = start;

  /** One keep-alive connection (the client's pool opens one per concurrent request), closed loop. */
  const connection = async () => {
    while (performance.now() < stopAt) {
      try {
        const response = await fetch(load.url, init);
        await response.arrayBuffer();
        lastAnswer = performance.now();
        if (response.status === 200) {
          completed++;
          continue;
        }
        firstFailure ??= `status ${response.status}`;
      } catch (error) {
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
      failed++;
      return;
    }
  };

  try {
    await Promise.all(Array.from({ length: load.connections }, connection));
  } finally {
    client.close();
  }
  const seconds = (lastAnswer - start) / 1000;
  return { completed, failed, seconds, perSecond: loginRate(completed, seconds), firstFailure };
}

if (import.meta.main) {
  const [url, connections, seconds, body] = Deno.args;
  if (body === undefined) {
    console.error("usage: login_load.ts <url> <connections> <seconds> <body-json>");
    Deno.exit(2);
  }
  const result = await runLoginLoad({ url, body, connections: Number(connections), seconds: Number(seconds) });
  console.log(JSON.stringify(result));
}
