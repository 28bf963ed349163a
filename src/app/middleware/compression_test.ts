import assert from "node:assert/strict";
import { HeaderBlock } from "../../http/header_block.ts";
import { silentLogger } from "../../log.ts";
import { createApp, type Handler } from "../app.ts";
import type { Middleware } from "../compose.ts";
import { JSON_HEADERS } from "../context.ts";
import { inject, type InjectInit } from "../inject.ts";
import { staticJson } from "../responses.ts";
import type { RoutesFile } from "../routes_file.ts";
import { type Coding, compression, type CompressionOptions, isCompressible, negotiateEncoding } from "./compression.ts";
import { errorHandler } from "./error_handler.ts";

const encoder = new TextEncoder();

/** ~20 KB of JSON, as an API would send it. */
const BIG_VALUE = {
  items: Array.from({ length: 250 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ["a", "b"], active: i % 2 === 0 })),
};
const BIG_JSON = JSON.stringify(BIG_VALUE);
const BIG_TEXT = "the quick brown fox jumps over the lazy dog\n".repeat(100);
/** Bytes no coder can shrink. */
const RANDOM = crypto.getRandomValues(new Uint8Array(4096));
/** 400 characters, 1200 UTF-8 bytes: above 1024 bytes though shorter than 1024 characters. */
const EUROS = "€".repeat(400);
const FIXED = staticJson(200, BIG_VALUE);
const FILE_HEADERS = new HeaderBlock([
  ["content-type", "text/plain; charset=utf-8"],
  ["content-length", String(encoder.encode(BIG_TEXT).length)],
  ["etag", `"abc-123"`],
]);

/** A 304 as static files send it: validators only, no content type. */
const BARE_304 = new HeaderBlock([["etag", `"file-7"`], ["last-modified", "Thu, 01 Jan 2026 00:00:00 GMT"]]);

function streamOf(text: string, pieces = 4): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  const size = Math.ceil(bytes.length / pieces);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const HANDLERS: Record<string, Handler> = {
  big: (ctx) => ctx.json(BIG_VALUE),
  fixed: () => FIXED,
  small: (ctx) => ctx.json({ ok: true }),
  exact: (ctx) => ctx.text("x".repeat(1024)),
  under: (ctx) => ctx.text("x".repeat(1023)),
  euros: (ctx) => ctx.text(EUROS),
  png: () => ({ status: 200, headers: [["content-type", "image/png"]], body: RANDOM }),
  random: () => ({ status: 200, headers: [["content-type", "text/plain"]], body: RANDOM }),
  svg: () => ({ status: 200, headers: { "Content-Type": "image/svg+xml" }, body: `<svg>${BIG_TEXT}</svg>` }),
  problem: () => ({ status: 400, headers: [["content-type", "application/problem+json"]], body: BIG_JSON }),
  etag: () => ({ status: 200, headers: FILE_HEADERS, body: encoder.encode(BIG_TEXT) }),
  weak: () => ({ status: 200, headers: [["content-type", "text/plain"], ["etag", `W/"w1"`]], body: BIG_TEXT }),
  file: () => ({ status: 200, headers: FILE_HEADERS, body: streamOf(BIG_TEXT) }),
  partial: () => ({
    status: 206,
    headers: [["content-type", "text/plain"], ["content-range", `bytes 0-${BIG_TEXT.length - 1}/99999`]],
    body: BIG_TEXT,
  }),
  unmodified: () => ({ status: 304, headers: FILE_HEADERS }),
  stream: (ctx) => ctx.stream(streamOf(BIG_JSON), "application/json"),
  events: (ctx) => ctx.stream(streamOf("data: 1\n\n".repeat(200)), "text/event-stream"),
  encoded: () => ({
    status: 200,
    headers: [["content-type", "text/plain"], ["content-encoding", "gzip"]],
    body: BIG_TEXT,
  }),
  notransform: () => ({
    status: 200,
    headers: [["content-type", "text/plain"], ["cache-control", "public, no-transform"]],
    body: BIG_TEXT,
  }),
  empty: (ctx) => ctx.status(204, JSON_HEADERS),
  file7: () => ({ status: 200, headers: [["content-type", "text/css"], ["etag", `"file-7"`]], body: BIG_TEXT }),
  "file7-304": () => ({ status: 304, headers: BARE_304 }),
  varies: () => ({
    status: 200,
    headers: [["content-type", "text/plain"], ["vary", "Accept-Encoding"]],
    body: BIG_TEXT,
  }),
  // One buffer, rewritten in place between requests: only its ETag tells the versions apart.
  mutable: () => ({
    status: 200,
    headers: [["content-type", "text/plain"], ["etag", `"v${mutable.version}"`]],
    body: mutable.bytes,
  }),
};
const mutable = { version: 1, bytes: encoder.encode("a".repeat(2000)) };

const ROUTES: RoutesFile = {
  routes: Object.keys(HANDLERS).map((name) => ({ method: "GET", path: `/api/${name}`, handler: name })),
  static: { mount: "/", root: "webroot", spaFallback: false, cacheControl: [] },
};

function makeApp(options: CompressionOptions = {}) {
  const middleware: Middleware[] = [errorHandler(silentLogger), compression(options)];
  return createApp({ routes: ROUTES, handlers: HANDLERS, middleware });
}

const app = makeApp();

function get(path: string, acceptEncoding?: string, init: InjectInit = {}): Promise<Response> {
  const headers: Record<string, string> = acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding };
  return inject(app.handle, path, { headers, ...init });
}

async function decode(response: Response): Promise<Uint8Array> {
  const coding = response.headers.get("content-encoding");
  const raw = new Uint8Array(await response.arrayBuffer());
  if (coding === null) return raw;
  const format = coding === "br" ? "brotli" : coding as CompressionFormat;
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("compression: Accept-Encoding negotiation by q-value", () => {
  const table: [string | null, Coding | null][] = [
    [null, null],
    ["", null],
    ["gzip", "gzip"],
    ["br", "br"],
    ["gzip, br", "br"],
    ["br, gzip", "br"],
    ["gzip, deflate, br, zstd", "br"],
    ["gzip;q=0.5, br;q=1", "br"],
    ["gzip;q=1, br;q=0.5", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["br;q=0.8, gzip;q=0.8", "br"],
    ["GZIP; Q=0.3", "gzip"],
    ["x-gzip", "gzip"],
    ["*", "br"],
    ["*;q=0", null],
    ["br;q=0, *", "gzip"],
    ["*;q=0.5, gzip", "gzip"],
    ["identity", null],
    ["identity;q=0", null],
    ["identity, gzip;q=0.5", null],
    ["identity;q=0.5, gzip", "gzip"],
    ["deflate", null],
    ["zstd, compress", null],
    ["gzip;q=0", null],
    ["gzip;q=0.000", null],
    ["gzip;q=1.000", "gzip"],
    ["gzip;q=2", null],
    ["gzip;q=abc", null],
    ["gzip;q=-1", null],
    ["gzip;level=1", "gzip"],
    ["br;q=0.001", "br"],
    [" , gzip ,, ", "gzip"],
  ];
  for (const [header, expected] of table) assert.equal(negotiateEncoding(header), expected, String(header));
  // Answers are remembered per header value; asking twice gives the same answer.
  assert.equal(negotiateEncoding("gzip;q=0.5, br;q=1"), "br");
});

Deno.test("compression: which content types are compressible", () => {
  const yes = [
    "text/html; charset=utf-8",
    "text/plain",
    "text/css",
    "text/javascript",
    "TEXT/CSV",
    "application/json",
    "application/json; charset=utf-8",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
    "application/problem+json",
    "application/atom+xml",
    "application/vnd.api+json",
  ];
  const no = [
    "text/event-stream",
    "image/png",
    "application/octet-stream",
    "application/zip",
    "video/mp4",
    "font/woff2",
  ];
  for (const type of yes) assert.equal(isCompressible(type), true, type);
  for (const type of no) assert.equal(isCompressible(type), false, type);
});

Deno.test("compression: negotiation on a real response picks the coding the table says", async () => {
  const cases: [string | undefined, string | null][] = [
    ["gzip;q=0.5, br;q=1", "br"],
    ["br;q=0, gzip", "gzip"],
    ["gzip", "gzip"],
    ["*;q=0", null],
    ["identity", null],
    [undefined, null],
  ];
  for (const [accept, coding] of cases) {
    const response = await get("/api/big", accept);
    assert.equal(response.headers.get("content-encoding"), coding, String(accept));
    assert.equal(response.headers.get("vary"), "accept-encoding", String(accept));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(await decode(response))), BIG_VALUE, String(accept));
  }
});

Deno.test("compression: gzip and br round trips give back the exact bytes, sent with content-length", async () => {
  const original = encoder.encode(BIG_JSON);
  for (const coding of ["gzip", "br"]) {
    for (const path of ["/api/big", "/api/fixed", "/api/fixed"]) {
      const response = await get(path, coding);
      assert.equal(response.headers.get("content-encoding"), coding);
      assert.equal(response.headers.get("transfer-encoding"), null);
      const length = Number(response.headers.get("content-length"));
      assert.ok(length > 0 && length < original.length / 4, `${coding} ${path}: ${length} bytes`);
      const decoded = await decode(response);
      assert.deepEqual(decoded, original, `${coding} ${path}`);
    }
  }
});

Deno.test("compression: the threshold counts bytes, not characters", async () => {
  const exact = await get("/api/exact", "gzip");
  assert.equal(exact.headers.get("content-encoding"), "gzip");
  assert.equal(new TextDecoder().decode(await decode(exact)), "x".repeat(1024));
  for (const path of ["/api/under", "/api/small"]) {
    const response = await get(path, "gzip");
    assert.equal(response.headers.get("content-encoding"), null, path);
    assert.equal(response.headers.get("vary"), null, `${path}: too small to ever be compressed, so no vary`);
    await response.body?.cancel();
  }
  const euros = await get("/api/euros", "br");
  assert.equal(euros.headers.get("content-encoding"), "br");
  assert.equal(new TextDecoder().decode(await decode(euros)), EUROS);
  const tuned = makeApp({ minBytes: 10 });
  const small = await inject(tuned.handle, "/api/under", { headers: { "accept-encoding": "gzip" } });
  assert.equal(small.headers.get("content-encoding"), "gzip");
  await small.body?.cancel();
});

Deno.test("compression: types that are not compressible are left alone, without vary", async () => {
  for (const path of ["/api/png", "/api/events"]) {
    const response = await get(path, "gzip, br");
    assert.equal(response.headers.get("content-encoding"), null, path);
    assert.equal(response.headers.get("vary"), null, path);
    await response.body?.cancel();
  }
  const svg = await get("/api/svg", "gzip");
  assert.equal(svg.headers.get("content-encoding"), "gzip");
  await svg.body?.cancel();
  const problem = await get("/api/problem", "br");
  assert.equal(problem.status, 400);
  assert.equal(problem.headers.get("content-encoding"), "br");
  assert.equal(new TextDecoder().decode(await decode(problem)), BIG_JSON);
});

Deno.test("compression: content that does not shrink is sent as it is, still with vary", async () => {
  const response = await get("/api/random", "gzip, br");
  assert.equal(response.headers.get("content-encoding"), null);
  assert.equal(response.headers.get("vary"), "accept-encoding");
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), RANDOM);
});

Deno.test("compression: HEAD gets vary only; its content-length is the identity length", async () => {
  const get1 = await get("/api/big");
  const identityLength = get1.headers.get("content-length");
  await get1.body?.cancel();
  const head = await get("/api/big", "gzip, br", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-encoding"), null);
  assert.equal(head.headers.get("vary"), "accept-encoding");
  assert.equal(head.headers.get("content-length"), identityLength);
});

Deno.test("compression: 206, 204, already-encoded and no-transform responses are untouched", async () => {
  for (const path of ["/api/partial", "/api/encoded", "/api/notransform"]) {
    const response = await get(path, "gzip, br");
    assert.equal(response.headers.get("vary"), null, path);
    assert.equal(response.headers.get("content-encoding"), path === "/api/encoded" ? "gzip" : null, path);
    assert.equal(await response.text(), BIG_TEXT, path);
  }
  const empty = await get("/api/empty", "gzip");
  assert.equal(empty.status, 204);
  assert.equal(empty.headers.get("content-encoding"), null);
  assert.equal(empty.headers.get("vary"), null);
});

Deno.test("compression: a strong ETag becomes weak for the coded body, and a 304 says the same", async () => {
  const identity = await get("/api/etag");
  assert.equal(identity.headers.get("etag"), `"abc-123"`);
  await identity.body?.cancel();
  for (const coding of ["gzip", "br"]) {
    const coded = await get("/api/etag", coding);
    assert.equal(coded.headers.get("content-encoding"), coding);
    assert.equal(coded.headers.get("etag"), `W/"abc-123"`);
    assert.equal(new TextDecoder().decode(await decode(coded)), BIG_TEXT);
  }
  const weak = await get("/api/weak", "gzip");
  assert.equal(weak.headers.get("etag"), `W/"w1"`);
  await weak.body?.cancel();

  const notModified = await get("/api/unmodified", "gzip");
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get("etag"), `W/"abc-123"`);
  assert.equal(notModified.headers.get("vary"), "accept-encoding");
  assert.equal(notModified.headers.get("content-encoding"), null);
  const plain = await get("/api/unmodified");
  assert.equal(plain.headers.get("etag"), `"abc-123"`);
  assert.equal(plain.headers.get("vary"), "accept-encoding");
});

Deno.test("compression: a 304 without content type is marked like the compressed 200 it stands for", async () => {
  const before = await get("/api/file7-304", "gzip");
  assert.equal(before.status, 304);
  assert.equal(before.headers.get("etag"), `"file-7"`, "not known to be compressed yet: left alone");
  assert.equal(before.headers.get("vary"), null);
  const coded = await get("/api/file7", "gzip");
  assert.equal(coded.headers.get("etag"), `W/"file-7"`);
  await coded.body?.cancel();
  const after = await get("/api/file7-304", "gzip");
  assert.equal(after.headers.get("etag"), `W/"file-7"`);
  assert.equal(after.headers.get("vary"), "accept-encoding");
  const identity = await get("/api/file7-304");
  assert.equal(identity.headers.get("etag"), `"file-7"`);
  assert.equal(identity.headers.get("vary"), "accept-encoding");
});

Deno.test("compression: a response that already varies on Accept-Encoding gets no second vary", async () => {
  for (const accept of ["gzip", "br;q=0, gzip;q=0", undefined]) {
    const response = await get("/api/varies", accept);
    assert.equal(response.headers.get("vary"), "Accept-Encoding", String(accept));
    assert.equal(response.headers.get("content-encoding"), accept === "gzip" ? "gzip" : null);
    assert.equal(new TextDecoder().decode(await decode(response)), BIG_TEXT);
  }
});

Deno.test("compression: streams are piped through CompressionStream and sent chunked", async () => {
  for (const coding of ["gzip", "br"]) {
    const response = await get("/api/stream", coding);
    assert.equal(response.headers.get("content-encoding"), coding);
    assert.equal(response.headers.get("transfer-encoding"), "chunked");
    assert.equal(response.headers.get("vary"), "accept-encoding");
    assert.equal(new TextDecoder().decode(await decode(response)), BIG_JSON);
  }
  // A stream with a declared length (a file) loses the length: the coded size is not known up front.
  const file = await get("/api/file", "gzip");
  assert.equal(file.headers.get("content-encoding"), "gzip");
  assert.equal(file.headers.get("content-length"), null);
  assert.equal(file.headers.get("transfer-encoding"), "chunked");
  assert.equal(file.headers.get("etag"), `W/"abc-123"`);
  assert.equal(new TextDecoder().decode(await decode(file)), BIG_TEXT);
  // Without Accept-Encoding the stream goes out as it is, with its declared length.
  const identity = await get("/api/file");
  assert.equal(identity.headers.get("content-length"), String(BIG_TEXT.length));
  assert.equal(identity.headers.get("vary"), "accept-encoding");
  assert.equal(await identity.text(), BIG_TEXT);
});

Deno.test("compression: bodies beyond maxSyncBytes are compressed as a stream in pieces", async () => {
  const tuned = makeApp({ maxSyncBytes: 4096 });
  for (const coding of ["gzip", "br"]) {
    const response = await inject(tuned.handle, "/api/big", { headers: { "accept-encoding": coding } });
    assert.equal(response.headers.get("content-encoding"), coding);
    assert.equal(response.headers.get("transfer-encoding"), "chunked");
    assert.equal(new TextDecoder().decode(await decode(response)), BIG_JSON);
  }
});

Deno.test("compression: coded copies of a body are reused, and redone when its ETag changes", async () => {
  const first = await get("/api/mutable", "gzip");
  assert.equal(first.headers.get("etag"), `W/"v1"`);
  assert.equal(new TextDecoder().decode(await decode(first)), "a".repeat(2000));
  const again = await get("/api/mutable", "gzip");
  assert.equal(new TextDecoder().decode(await decode(again)), "a".repeat(2000));
  mutable.bytes.fill("b".charCodeAt(0));
  mutable.version = 2;
  const changed = await get("/api/mutable", "gzip");
  assert.equal(changed.headers.get("etag"), `W/"v2"`);
  assert.equal(new TextDecoder().decode(await decode(changed)), "b".repeat(2000));
});

Deno.test("compression: options are validated", () => {
  assert.throws(() => compression({ minBytes: -1 }), RangeError);
  assert.throws(() => compression({ brotliQuality: 12 }), RangeError);
  assert.throws(() => compression({ gzipLevel: 0 }), RangeError);
  assert.throws(() => compression({ maxSyncBytes: 1.5 }), RangeError);
});
