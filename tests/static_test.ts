/**
 * Static files over real TCP: conditional requests, ranges (single, multipart, from memory and
 * from disk), HEAD, precompressed siblings, and file handles released when a client goes away.
 * Raw sockets show exactly what is on the wire; fetch and curl check that real clients agree.
 */
import assert from "node:assert/strict";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { boundaryOf, parseByteranges } from "../src/app/static/testing.ts";
import { SECRET, startApp } from "./helpers/app.ts";
import { get, RawClient } from "./helpers/raw_client.ts";
import { within } from "./helpers/server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes that differ from position to position, so a wrong offset shows. */
function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13 + (i >> 10)) & 0xff;
  return out;
}

const TEXT = "0123456789".repeat(100); // 1000 bytes
const SCRIPT = `export function greet(name) {\n  return "hello " + name;\n}\n`.repeat(40);
const SCRIPT_BR = new Uint8Array(brotliCompressSync(encoder.encode(SCRIPT)));
const SCRIPT_GZ = new Uint8Array(gzipSync(encoder.encode(SCRIPT)));
/** Larger than the default memory-cache limit (256 KiB): always read from disk. */
const LARGE = pattern(1_500_000);

const FILES = {
  "text.txt": TEXT,
  "app.js": SCRIPT,
  "app.js.br": SCRIPT_BR,
  "app.js.gz": SCRIPT_GZ,
  "large.bin": LARGE,
};

function head(method: string, path: string, ...fields: string[]): string {
  return `${method} ${path} HTTP/1.1\r\nHost: test\r\n${fields.map((f) => `${f}\r\n`).join("")}\r\n`;
}

Deno.test("304 and 412 over TCP: validators only, no body, and the connection carries on", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  const first = await client.exchange(get("/text.txt"));
  assert.equal(first.status, 200);
  assert.equal(first.header("accept-ranges"), "bytes");
  const etag = first.header("etag")!;
  const lastModified = first.header("last-modified")!;

  const notModified = await client.exchange(get("/text.txt", `If-None-Match: W/${etag}`));
  assert.equal(notModified.status, 304);
  assert.equal(notModified.framing, "none");
  assert.equal(notModified.header("etag"), etag);
  assert.equal(notModified.header("last-modified"), lastModified);
  assert.equal(notModified.header("cache-control"), "public, max-age=3600");
  assert.equal(notModified.header("content-length"), null);
  assert.equal(notModified.header("content-type"), null);

  const byDate = await client.exchange(get("/text.txt", `If-Modified-Since: ${lastModified}`));
  assert.equal(byDate.status, 304);

  const failed = await client.exchange(get("/text.txt", 'If-Match: "something-else"'));
  assert.equal(failed.status, 412);
  assert.ok(!failed.text.includes(TEXT));
  const stale = await client.exchange(get("/text.txt", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT"));
  assert.equal(stale.status, 412);

  // Still in step after the body-less answers.
  const again = await client.exchange(get("/text.txt", `If-Match: ${etag}`));
  assert.equal(again.status, 200);
  assert.equal(again.text, TEXT);
});

Deno.test("206 single range, 416 and HEAD over TCP", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  const single = await client.exchange(get("/text.txt", "Range: bytes=10-19"));
  assert.equal(single.status, 206);
  assert.equal(single.header("content-range"), "bytes 10-19/1000");
  assert.equal(single.header("content-length"), "10");
  assert.equal(single.framing, "length");
  assert.equal(single.text, TEXT.slice(10, 20));

  const suffix = await client.exchange(get("/text.txt", "Range: bytes=-5"));
  assert.equal(suffix.header("content-range"), "bytes 995-999/1000");
  assert.equal(suffix.text, TEXT.slice(995));

  const unsatisfiable = await client.exchange(get("/text.txt", "Range: bytes=1000-"));
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.header("content-range"), "bytes */1000");

  const invalid = await client.exchange(get("/text.txt", "Range: bytes=9-1"));
  assert.equal(invalid.status, 200);
  assert.equal(invalid.text, TEXT);

  const headResponse = await client.exchange(head("HEAD", "/text.txt", "Range: bytes=0-9"), { head: true });
  assert.equal(headResponse.status, 200);
  assert.equal(headResponse.header("content-length"), "1000");
  assert.equal(headResponse.header("accept-ranges"), "bytes");
  assert.equal(client.reader.buffered, 0);

  const largeHead = await client.exchange(head("HEAD", "/large.bin"), { head: true });
  assert.equal(largeHead.header("content-length"), String(LARGE.length));
  assert.equal(client.reader.buffered, 0);

  const after = await client.exchange(get("/text.txt", "Range: bytes=0-0"));
  assert.equal(after.text, "0");
});

Deno.test("206 multipart/byteranges over TCP: every part's fields and bytes, from memory and from disk", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  const small = await client.exchange(get("/text.txt", "Range: bytes=900-909, 0-4, 500-599"));
  assert.equal(small.status, 206);
  assert.equal(small.framing, "length");
  assert.equal(small.header("content-length"), String(small.body.length));
  const parts = parseByteranges(small.body, boundaryOf(small.header("content-type"))!);
  assert.deepEqual(parts.map((p) => p.headers["content-range"]), [
    "bytes 900-909/1000",
    "bytes 0-4/1000",
    "bytes 500-599/1000",
  ]);
  assert.deepEqual(parts.map((p) => decoder.decode(p.body)), [
    TEXT.slice(900, 910),
    TEXT.slice(0, 5),
    TEXT.slice(500, 600),
  ]);
  for (const part of parts) assert.equal(part.headers["content-type"], "text/plain; charset=utf-8");

  const ranges = [[0, 9], [700_000, 799_999], [1_499_990, 1_499_999]];
  const large = await client.exchange(
    get("/large.bin", `Range: bytes=${ranges.map(([a, b]) => `${a}-${b}`).join(",")}`),
  );
  assert.equal(large.status, 206);
  assert.equal(large.framing, "length");
  assert.equal(large.header("content-length"), String(large.body.length));
  const largeParts = parseByteranges(large.body, boundaryOf(large.header("content-type"))!);
  assert.equal(largeParts.length, 3);
  ranges.forEach(([start, end], i) => {
    assert.equal(largeParts[i].headers["content-range"], `bytes ${start}-${end}/${LARGE.length}`);
    assert.equal(largeParts[i].headers["content-type"], "application/octet-stream");
    assert.deepEqual(largeParts[i].body, LARGE.subarray(start, end + 1));
  });
});

Deno.test("overlapping ranges coalesce in the order they were asked for", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  const response = await client.exchange(get("/text.txt", "Range: bytes=900-909, 0-4, 500-"));
  const parts = parseByteranges(response.body, boundaryOf(response.header("content-type"))!);
  assert.deepEqual(parts.map((p) => p.headers["content-range"]), ["bytes 500-999/1000", "bytes 0-4/1000"]);
  assert.deepEqual(parts.map((p) => decoder.decode(p.body)), [TEXT.slice(500), TEXT.slice(0, 5)]);
});

Deno.test("a range of a large file is read from disk: exact bytes and content-length framing", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  const response = await client.exchange(get("/large.bin", "Range: bytes=300000-1299999"));
  assert.equal(response.status, 206);
  assert.equal(response.framing, "length");
  assert.equal(response.header("content-length"), "1000000");
  assert.equal(response.header("content-range"), `bytes 300000-1299999/${LARGE.length}`);
  assert.deepEqual(response.body, LARGE.subarray(300_000, 1_300_000));

  const whole = await client.exchange(get("/large.bin"));
  assert.equal(whole.status, 200);
  assert.equal(whole.framing, "length");
  assert.deepEqual(whole.body, LARGE);

  // If-Range with a stale validator: the whole file instead of the range.
  const stale = await client.exchange(get("/large.bin", "Range: bytes=0-9", 'If-Range: "stale"'));
  assert.equal(stale.status, 200);
  assert.equal(stale.body.length, LARGE.length);
  const fresh = await client.exchange(get("/large.bin", "Range: bytes=0-9", `If-Range: ${whole.header("etag")}`));
  assert.equal(fresh.status, 206);
  assert.deepEqual(fresh.body, LARGE.subarray(0, 10));
});

Deno.test("precompressed .br and .gz siblings over TCP, with vary, and fetch decodes them", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  const br = await client.exchange(get("/app.js", "Accept-Encoding: gzip, deflate, br"));
  assert.equal(br.status, 200);
  assert.equal(br.header("content-encoding"), "br");
  assert.equal(br.header("content-type"), "text/javascript; charset=utf-8");
  assert.equal(br.header("content-length"), String(SCRIPT_BR.length));
  assert.equal(br.header("vary"), "accept-encoding");
  assert.deepEqual(br.body, SCRIPT_BR);

  const gz = await client.exchange(get("/app.js", "Accept-Encoding: gzip;q=1, br;q=0.5"));
  assert.equal(gz.header("content-encoding"), "gzip");
  assert.equal(gz.header("vary"), "accept-encoding");
  assert.deepEqual(gz.body, SCRIPT_GZ);

  const refused = await client.exchange(get("/app.js", "Accept-Encoding: br;q=0, gzip;q=0"));
  assert.equal(refused.header("content-encoding"), null);
  assert.equal(refused.header("vary"), "accept-encoding");
  assert.equal(refused.text, SCRIPT);

  const notModified = await client.exchange(
    get("/app.js", "Accept-Encoding: br", `If-None-Match: ${br.header("etag")}`),
  );
  assert.equal(notModified.status, 304);
  assert.equal(notModified.header("vary"), "accept-encoding");

  const ranged = await client.exchange(get("/app.js", "Accept-Encoding: br", "Range: bytes=0-14"));
  assert.equal(ranged.status, 206);
  assert.equal(ranged.header("content-encoding"), null);
  assert.equal(ranged.text, SCRIPT.slice(0, 15));

  const direct = await client.exchange(get("/app.js.gz", "Accept-Encoding: gzip"));
  assert.equal(direct.header("content-type"), "application/gzip");
  assert.equal(direct.header("content-encoding"), null);
  assert.deepEqual(direct.body, SCRIPT_GZ);

  // A real client negotiates and decodes.
  const fetched = await app.fetch("/app.js");
  assert.equal(fetched.headers.get("vary"), "accept-encoding");
  assert.equal(await fetched.text(), SCRIPT);
});

Deno.test("traversal and hidden files stay refused with Range and Accept-Encoding fields", async () => {
  await using app = await startApp({}, FILES);
  await using client = await RawClient.connect(app.port);
  for (const target of ["/../.env", "/%2e%2e/.env", "/..%2f.env", "/.env", "/.git/config", "//etc/passwd"]) {
    const response = await client.exchange(get(target, "Range: bytes=0-", "Accept-Encoding: gzip, br"));
    assert.ok(response.status === 400 || response.status === 404, `${target} → ${response.status}`);
    assert.ok(!response.text.includes(SECRET), target);
    if (response.header("connection") === "close") break;
  }
});

Deno.test("a client that leaves in the middle of a large file: the stream is cancelled and the file closed", async () => {
  const opened: { closed: boolean }[] = [];
  const original = Deno.open;
  Deno.open = async (...args: Parameters<typeof Deno.open>) => {
    const file = await original(...args);
    const record = { closed: false };
    opened.push(record);
    const close = file.close.bind(file);
    file.close = () => {
      record.closed = true;
      close();
    };
    return file;
  };
  try {
    await using app = await startApp({}, { "huge.bin": pattern(24 * 1024 * 1024) });
    const client = await RawClient.connect(app.port);
    await client.send(get("/huge.bin"));
    // Some of the body arrives; then the client is gone.
    const buffer = new Uint8Array(64 * 1024);
    let received = 0;
    while (received < 256 * 1024) {
      const n = await client.conn.read(buffer);
      if (n === null) break;
      received += n;
    }
    client.close();
    // Loading checks that the file can be opened (and closes it); the stream opens it again.
    assert.equal(opened.length, 2);
    assert.equal(opened[0].closed, true);
    await within(
      (async () => {
        while (opened.some((file) => !file.closed)) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      5000,
      "the file is closed after the client left",
    );
    // The server still answers.
    const index = await app.fetch("/");
    assert.equal(index.status, 200);
    await index.body?.cancel();
  } finally {
    Deno.open = original;
  }
});

// ── curl ───────────────────────────────────────────────────────────────────────

const CURL = "/usr/bin/curl";
const noCurl = (() => {
  try {
    return !Deno.statSync(CURL).isFile;
  } catch {
    return true;
  }
})();

Deno.test({
  name: "curl -r fetches single and multiple ranges, and --compressed decodes a precompressed sibling",
  ignore: noCurl,
  async fn() {
    await using app = await startApp({}, FILES);
    const run = async (...args: string[]) => {
      const output = await new Deno.Command(CURL, {
        args: ["--max-time", "20", "--noproxy", "*", "-sS", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(output.success, decoder.decode(output.stderr));
      return output.stdout;
    };
    assert.equal(decoder.decode(await run("-r", "0-99", `${app.baseUrl}/text.txt`)), TEXT.slice(0, 100));
    assert.deepEqual(
      await run("-r", "1000000-1000099", `${app.baseUrl}/large.bin`),
      LARGE.subarray(1_000_000, 1_000_100),
    );
    const headers = decoder.decode(await run("-r", "0-1,5-6", "-D", "-", "-o", "/dev/null", `${app.baseUrl}/text.txt`));
    assert.match(headers, /^HTTP\/1\.1 206/);
    assert.match(headers, /content-type: multipart\/byteranges; boundary=/i);
    assert.equal(decoder.decode(await run("--compressed", `${app.baseUrl}/app.js`)), SCRIPT);
  },
});
