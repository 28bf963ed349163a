/**
 * The full application as main.ts starts it, driven by real clients: fetch, raw sockets
 * (where fetch would normalise the URL) and curl.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../src/config.ts";
import { SECRET, startApp } from "./helpers/app.ts";
import { get, latin1, RawClient } from "./helpers/raw_client.ts";
import { startServer } from "./helpers/server.ts";

const INDEX_HTML = Deno.readTextFileSync(join(PROJECT_ROOT, "webroot", "index.html"));
const STYLE_CSS = Deno.readTextFileSync(join(PROJECT_ROOT, "webroot", "style.css"));

// ── Start-up ───────────────────────────────────────────────────────────────────

Deno.test("start-up summary names the address, tls: off, the database and the number of routes", async () => {
  await using app = await startApp();
  const { summary } = app.running;
  const routeCount = JSON.parse(Deno.readTextFileSync(join(PROJECT_ROOT, "routes.json"))).routes.length;
  assert.ok(summary.includes(`http://127.0.0.1:${app.port}`), summary);
  assert.match(summary, /\btls: off\b/);
  assert.match(summary, /\bdatabase: embedded memory\b/);
  assert.match(summary, new RegExp(`\\broutes: ${routeCount}\\b`));
  assert.equal(app.running.server.secure, false);
});

Deno.test("a head limit below the request-line limit is refused at start-up, not on the first connection", async () => {
  // MAX_HEAD_BYTES accepts 1024..1 MiB, but the parser needs maxRequestLineBytes (8 KiB by default) <= maxHeadBytes.
  let app;
  try {
    app = await startApp({ MAX_HEAD_BYTES: "4096" });
  } catch (error) {
    assert.match(String(error), /MAX_HEAD_BYTES|MAX_REQUEST_LINE_BYTES|maxHeadBytes|maxRequestLineBytes/);
    return;
  }
  // Started anyway: shut it down before it is asked anything (the first connection would crash the process).
  await app.close();
  assert.fail("started with MAX_HEAD_BYTES=4096 below the default MAX_REQUEST_LINE_BYTES=8192");
});

// ── API over fetch ─────────────────────────────────────────────────────────────

Deno.test("fetch GET /api/health answers 200 JSON", async () => {
  await using app = await startApp();
  const response = await app.fetch("/api/health");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.deepEqual(await response.json(), { status: "ok" });
});

Deno.test("fetch POST /api/data with JSON answers 201 with the echo", async () => {
  await using app = await startApp();
  const payload = { name: "zeta", tags: ["x", "y"], nested: { n: 1, ok: true }, text: "héllo ✓" };
  const response = await app.fetch("/api/data", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  assert.equal(response.status, 201);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await response.json(), { message: "Data received", received: payload });
});

Deno.test("POST /api/data without a JSON content-type answers 415", async () => {
  await using app = await startApp();
  const response = await app.fetch("/api/data", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: '{"a":1}',
  });
  assert.equal(response.status, 415);
  assert.deepEqual(await response.json(), { error: "Content-Type must be application/json" });
});

Deno.test("POST /api/data with invalid JSON answers 400", async () => {
  await using app = await startApp();
  for (const body of ["{not json", ""]) {
    const response = await app.fetch("/api/data", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body,
    });
    assert.equal(response.status, 400, `body ${JSON.stringify(body)}`);
    assert.deepEqual(await response.json(), { error: "Request body is not valid JSON" });
  }
});

Deno.test("DELETE /api/health answers 405 with Allow", async () => {
  await using app = await startApp();
  const response = await app.fetch("/api/health", { method: "DELETE" });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "GET, HEAD, OPTIONS");
  assert.deepEqual(await response.json(), { error: "Method Not Allowed" });
});

Deno.test("OPTIONS answers 204 with Allow for routes and static paths", async () => {
  await using app = await startApp();
  const cases: [string, string][] = [
    ["/api/health", "GET, HEAD, OPTIONS"],
    ["/api/data", "GET, HEAD, OPTIONS, POST"],
    ["/", "GET, HEAD, OPTIONS"],
  ];
  for (const [path, allow] of cases) {
    const response = await app.fetch(path, { method: "OPTIONS" });
    assert.equal(response.status, 204, path);
    assert.equal(response.headers.get("allow"), allow, path);
    assert.equal(await response.text(), "");
  }
});

// ── Static files over fetch ────────────────────────────────────────────────────

Deno.test("GET / serves index.html as text/html; charset=utf-8", async () => {
  await using app = await startApp();
  const response = await app.fetch("/");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await response.text(), INDEX_HTML);
});

Deno.test("GET /style.css serves the stylesheet as text/css", async () => {
  await using app = await startApp();
  const response = await app.fetch("/style.css");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/css/);
  assert.equal(await response.text(), STYLE_CSS);
});

Deno.test("a missing file answers 404", async () => {
  await using app = await startApp();
  for (const path of ["/missing.html", "/api/missing"]) {
    const response = await app.fetch(path);
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
});

Deno.test("HEAD / has the fields of GET and no body", async () => {
  await using app = await startApp();
  const response = await app.fetch("/", { method: "HEAD" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), String(new TextEncoder().encode(INDEX_HTML).length));
  assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await response.text(), "");
});

Deno.test("ETag round trip: If-None-Match answers 304 without a body", async () => {
  await using app = await startApp();
  const first = await app.fetch("/style.css");
  const etag = first.headers.get("etag");
  const lastModified = first.headers.get("last-modified");
  await first.body?.cancel();
  assert.ok(etag !== null && lastModified !== null);
  const revalidated = await app.fetch("/style.css", { headers: { "if-none-match": etag } });
  assert.equal(revalidated.status, 304);
  assert.equal(revalidated.headers.get("etag"), etag);
  assert.equal(await revalidated.text(), "");
  const byDate = await app.fetch("/style.css", { headers: { "if-modified-since": lastModified } });
  assert.equal(byDate.status, 304);
  await byDate.body?.cancel();
  const changed = await app.fetch("/style.css", { headers: { "if-none-match": '"other"' } });
  assert.equal(changed.status, 200);
  assert.equal(await changed.text(), STYLE_CSS);
});

Deno.test("a file larger than the memory cache is streamed with its content-length", async () => {
  const big = new Uint8Array(600 * 1024).map((_, i) => (i * 7) & 0xff);
  await using app = await startApp({}, { "big.bin": big });
  const response = await app.fetch("/big.bin");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), String(big.length));
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), big);
});

// ── Path traversal over raw sockets ────────────────────────────────────────────

const TRAVERSALS = [
  "/../.env",
  "/%2e%2e/.env",
  "/%2E%2E/.env",
  "/..%2f.env",
  "/..%2F..%2F.env",
  "/.%2e/.env",
  "/%00",
  "/index.html%00.css",
  "//etc/passwd",
  "/../passwd",
  "/.env",
  "/.git/config",
  "/.git/",
  "/..\\.env",
  "/%5c..%5c.env",
  "/./.env",
  "/x/../../.env",
  "/%252e%252e/.env",
  "http://test/../.env",
];

Deno.test("traversal attempts never return file contents (raw requests, exact targets)", async () => {
  await using app = await startApp();
  await using client = await RawClient.connect(app.port);
  for (const target of TRAVERSALS) {
    await client.send(`GET ${target} HTTP/1.1\r\nHost: test\r\n\r\n`);
    const response = await client.readResponse();
    assert.ok([400, 404].includes(response.status), `${target}: ${response.status}`);
    assert.ok(!latin1(response.raw).includes(SECRET), `${target} leaked the secret`);
    assert.doesNotMatch(response.text, /root:|JWT_SECRET|\[core\]/, target);
  }
});

// ── Raw HTTP through the app ───────────────────────────────────────────────────

Deno.test("pipelined HEAD and GET /api/health: the HEAD answer has content-length and no body", async () => {
  await using app = await startApp();
  await using client = await RawClient.connect(app.port);
  await client.send(`HEAD /api/health HTTP/1.1\r\nHost: test\r\n\r\n${get("/api/health")}`);
  const head = await client.readResponse({ head: true });
  const full = await client.readResponse();
  assert.equal(head.status, 200);
  assert.equal(head.header("content-length"), String(full.body.length));
  assert.deepEqual(JSON.parse(full.text), { status: "ok" });
  assert.equal(client.reader.buffered, 0);
});

// ── curl ───────────────────────────────────────────────────────────────────────

const CURL = "/usr/bin/curl";
const hasCurl = (() => {
  try {
    return Deno.statSync(CURL).isFile;
  } catch {
    return false;
  }
})();
const noCurl = !hasCurl;

interface CurlResult {
  readonly success: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

async function curl(...args: string[]): Promise<CurlResult> {
  const { success, stdout, stderr } = await new Deno.Command(CURL, {
    args: ["--max-time", "20", "--noproxy", "*", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { success, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Splits `curl -i` output into its response heads and the final body. */
function splitCurlOutput(output: string): { heads: string[]; body: string } {
  const heads: string[] = [];
  let rest = output;
  while (rest.startsWith("HTTP/")) {
    const end = rest.indexOf("\r\n\r\n");
    heads.push(rest.slice(0, end));
    rest = rest.slice(end + 4);
  }
  return { heads, body: rest };
}

Deno.test({
  name: "curl -i GET /api/health and GET / over HTTP/1.1",
  ignore: noCurl,
  async fn() {
    await using app = await startApp();
    const health = await curl("-sS", "-i", `${app.baseUrl}/api/health`);
    assert.ok(health.success, health.stderr);
    const { heads, body } = splitCurlOutput(health.stdout);
    assert.equal(heads.length, 1);
    assert.match(heads[0], /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(heads[0], /\r\ncontent-type: application\/json; charset=utf-8(\r\n|$)/);
    assert.deepEqual(JSON.parse(body), { status: "ok" });

    const index = await curl("-sS", "-i", `${app.baseUrl}/`);
    assert.ok(index.success, index.stderr);
    const page = splitCurlOutput(index.stdout);
    assert.match(page.heads[0], /\r\ncontent-type: text\/html; charset=utf-8(\r\n|$)/);
    assert.equal(page.body, INDEX_HTML);
  },
});

Deno.test({
  name: "curl --http1.0 gets the response and connection: close",
  ignore: noCurl,
  async fn() {
    await using app = await startApp();
    const result = await curl("-sS", "-i", "--http1.0", `${app.baseUrl}/api/health`);
    assert.ok(result.success, result.stderr);
    const { heads, body } = splitCurlOutput(result.stdout);
    assert.match(heads[0], /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(heads[0], /\r\nconnection: close(\r\n|$)/);
    assert.deepEqual(JSON.parse(body), { status: "ok" });
  },
});

Deno.test({
  name: "curl with Expect: 100-continue posts a 2 KB JSON body and gets 100 then the 201 echo",
  ignore: noCurl,
  async fn() {
    await using app = await startApp();
    const payload = { text: "x".repeat(2_000), n: 42 };
    const file = await Deno.makeTempFile({ prefix: "h1server-body-", suffix: ".json" });
    try {
      await Deno.writeTextFile(file, JSON.stringify(payload));
      assert.ok((await Deno.stat(file)).size >= 2_000);
      const result = await curl(
        "-sS",
        "-i",
        "-H",
        "Expect: 100-continue",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        `@${file}`,
        `${app.baseUrl}/api/data`,
      );
      assert.ok(result.success, result.stderr);
      const { heads, body } = splitCurlOutput(result.stdout);
      assert.equal(heads.length, 2, result.stdout.slice(0, 400));
      assert.equal(heads[0], "HTTP/1.1 100 Continue");
      assert.match(heads[1], /^HTTP\/1\.1 201 Created\r\n/);
      assert.deepEqual(JSON.parse(body), { message: "Data received", received: payload });
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test({
  name: "curl --path-as-is traversal attempts never return file contents",
  ignore: noCurl,
  async fn() {
    await using app = await startApp();
    for (const target of TRAVERSALS.filter((t) => t.startsWith("/"))) {
      const result = await curl("-sS", "-i", "--path-as-is", `${app.baseUrl}${target}`);
      assert.ok(result.success, `${target}: ${result.stderr}`);
      assert.match(result.stdout, /^HTTP\/1\.1 (400|404) /, target);
      assert.ok(!result.stdout.includes(SECRET), `${target} leaked the secret`);
    }
  },
});

Deno.test({
  name: "curl decodes a chunked streamed response and --raw shows its chunk framing",
  ignore: noCurl,
  async fn() {
    const parts = ["alpha ", "beta ", "gamma"];
    await using server = startServer(() => ({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: ReadableStream.from(parts.map((part) => new TextEncoder().encode(part))),
    }));
    const url = `http://127.0.0.1:${server.port}/stream`;

    const decoded = await curl("-sS", "-i", url);
    assert.ok(decoded.success, decoded.stderr);
    assert.match(decoded.stdout, /\r\ntransfer-encoding: chunked\r\n/i);
    assert.ok(decoded.stdout.endsWith("\r\n\r\nalpha beta gamma"), decoded.stdout);

    const raw = await curl("-sS", "--raw", url);
    assert.ok(raw.success, raw.stderr);
    assert.equal(raw.stdout, "6\r\nalpha \r\n5\r\nbeta \r\n5\r\ngamma\r\n0\r\n\r\n");
  },
});
