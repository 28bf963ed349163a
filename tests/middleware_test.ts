/**
 * The security-headers, CORS and compression middleware over real TCP: what goes on the wire,
 * read with a raw socket (bytes as sent) and with Deno's fetch (which decodes for the caller).
 */
import assert from "node:assert/strict";
import { createApp, type Handler } from "../src/app/app.ts";
import type { RoutesFile } from "../src/app/routes_file.ts";
import { compression } from "../src/app/middleware/compression.ts";
import { cors } from "../src/app/middleware/cors.ts";
import { errorHandler } from "../src/app/middleware/error_handler.ts";
import { requestId } from "../src/app/middleware/request_id.ts";
import { DEFAULT_PAGE_CSP, securityHeaders } from "../src/app/middleware/security_headers.ts";
import { silentLogger } from "../src/log.ts";
import { get, RawClient, type RawResponse } from "./helpers/raw_client.ts";
import { startServer } from "./helpers/server.ts";

const ORIGIN = "https://app.example.com";
const VALUE = {
  items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item-${i}`, email: `user${i}@example.com` })),
};
const JSON_TEXT = JSON.stringify(VALUE);
const JSON_BYTES = new TextEncoder().encode(JSON_TEXT);
const PAGE = `<!doctype html><html><head><title>t</title></head><body>${"<p>hello</p>".repeat(200)}</body></html>`;

/** Accept-Encoding values the server saw, in order. */
const seen: (string | null)[] = [];

const HANDLERS: Record<string, Handler> = {
  big: (ctx) => {
    seen.push(ctx.req.header("accept-encoding"));
    return ctx.json(VALUE);
  },
  stream: (ctx) => {
    let sent = 0;
    const piece = 4096;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= JSON_BYTES.length) return controller.close();
        controller.enqueue(JSON_BYTES.slice(sent, sent + piece));
        sent += piece;
      },
    });
    return ctx.stream(body, "application/json");
  },
  page: (ctx) => ctx.html(PAGE),
  small: (ctx) => ctx.json({ ok: true }),
};

const ROUTES: RoutesFile = {
  routes: [
    { method: "GET", path: "/api/big", handler: "big" },
    { method: "GET", path: "/api/stream", handler: "stream" },
    { method: "GET", path: "/api/small", handler: "small" },
    { method: "DELETE", path: "/api/small", handler: "small" },
    { method: "GET", path: "/page", handler: "page" },
  ],
  static: { mount: "/", root: "webroot", spaFallback: false, cacheControl: [] },
};

function startStack() {
  const app = createApp({
    routes: ROUTES,
    handlers: HANDLERS,
    middleware: [
      requestId(),
      securityHeaders(),
      errorHandler(silentLogger),
      cors({ origins: [ORIGIN] }),
      compression(),
    ],
  });
  return startServer(app.handle);
}

async function decode(coding: string | null, bytes: Uint8Array): Promise<Uint8Array> {
  if (coding === null) return bytes;
  const format = coding === "br" ? "brotli" : coding as CompressionFormat;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function assertCoded(response: RawResponse, coding: string | null, framing: RawResponse["framing"]): void {
  assert.equal(response.status, 200);
  assert.equal(response.header("content-encoding"), coding);
  assert.equal(response.header("vary"), "accept-encoding");
  assert.equal(response.framing, framing);
  assert.equal(response.headerCount("content-encoding"), coding === null ? 0 : 1);
}

Deno.test("wire: gzip, br and identity on one keep-alive connection decode to the same JSON", async () => {
  await using server = startStack();
  await using client = await RawClient.connect(server.port);
  const results = new Map<string | null, Uint8Array>();
  for (const accept of ["gzip", "br", null, "gzip;q=0.5, br;q=1", "br;q=0, gzip", "*;q=0"]) {
    const request = accept === null ? get("/api/big") : get("/api/big", `Accept-Encoding: ${accept}`);
    const response = await client.exchange(request);
    const coding = response.header("content-encoding");
    assertCoded(response, coding, "length");
    assert.equal(Number(response.header("content-length")), response.body.length);
    const decoded = await decode(coding, response.body);
    assert.deepEqual(decoded, JSON_BYTES, String(accept));
    results.set(accept, response.body);
    if (coding !== null) assert.ok(response.body.length < JSON_BYTES.length / 4, `${coding}: ${response.body.length}`);
  }
  assert.equal(new TextDecoder().decode(results.get(null)), JSON_TEXT);
  assert.notDeepEqual(results.get("gzip"), results.get("br"));
  // The q-value table, as negotiated on the wire.
  assert.deepEqual(results.get("gzip;q=0.5, br;q=1"), results.get("br"));
  assert.deepEqual(results.get("br;q=0, gzip"), results.get("gzip"));
  assert.deepEqual(results.get("*;q=0"), results.get(null));
});

Deno.test("wire: a streamed body is compressed chunked, and the connection stays usable", async () => {
  await using server = startStack();
  await using client = await RawClient.connect(server.port);
  for (const coding of ["gzip", "br"]) {
    const response = await client.exchange(get("/api/stream", `Accept-Encoding: ${coding}`));
    assertCoded(response, coding, "chunked");
    assert.deepEqual(await decode(coding, response.body), JSON_BYTES);
  }
  const after = await client.exchange(get("/api/small", "Accept-Encoding: gzip"));
  assert.equal(after.status, 200);
  assert.equal(after.header("content-encoding"), null);
  assert.equal(after.header("vary"), null);
  assert.equal(after.text, `{"ok":true}`);
});

Deno.test("wire: Deno's fetch asks for compression and decodes it transparently", async () => {
  await using server = startStack();
  const client = Deno.createHttpClient({});
  try {
    const base = `http://127.0.0.1:${server.port}`;
    seen.length = 0;
    const plain = await fetch(`${base}/api/big`, { client });
    assert.equal(plain.status, 200);
    // Deno's fetch sends "gzip,br" by default, so br wins; it keeps content-encoding and decodes the body.
    assert.match(seen[0] ?? "", /gzip/, "fetch sends Accept-Encoding with gzip by default");
    assert.equal(plain.headers.get("content-encoding"), "br");
    assert.deepEqual(await plain.json(), VALUE);

    const gzip = await fetch(`${base}/api/big`, { client, headers: { "accept-encoding": "gzip" } });
    assert.equal(gzip.status, 200);
    assert.equal(gzip.headers.get("content-encoding"), "gzip");
    assert.deepEqual(await gzip.json(), VALUE);
    assert.equal(seen[1], "gzip");

    const streamed = await fetch(`${base}/api/stream`, { client, headers: { "accept-encoding": "gzip" } });
    assert.equal(streamed.headers.get("content-encoding"), "gzip");
    assert.deepEqual(await streamed.json(), VALUE);
  } finally {
    client.close();
  }
});

Deno.test("wire: the whole stack: security fields, CORS and compression on one response", async () => {
  await using server = startStack();
  await using client = await RawClient.connect(server.port);
  const page = await client.exchange(get("/page", "Accept-Encoding: br", `Origin: ${ORIGIN}`));
  assert.equal(page.status, 200);
  assert.equal(page.header("content-encoding"), "br");
  assert.equal(new TextDecoder().decode(await decode("br", page.body)), PAGE);
  assert.equal(page.header("content-security-policy"), DEFAULT_PAGE_CSP);
  assert.equal(page.header("x-content-type-options"), "nosniff");
  assert.equal(page.header("x-frame-options"), "DENY");
  assert.equal(page.header("referrer-policy"), "strict-origin-when-cross-origin");
  assert.equal(page.header("access-control-allow-origin"), ORIGIN);
  assert.equal(page.header("vary"), "origin, accept-encoding");
  assert.equal(page.headerCount("vary"), 1);

  const preflight = await client.exchange(
    `OPTIONS /api/small HTTP/1.1\r\nHost: test\r\nOrigin: ${ORIGIN}\r\n` +
      "Access-Control-Request-Method: DELETE\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
  );
  assert.equal(preflight.status, 204);
  assert.equal(preflight.header("access-control-allow-origin"), ORIGIN);
  assert.equal(preflight.header("access-control-allow-headers"), "content-type");
  assert.equal(preflight.header("x-frame-options"), "DENY");

  const refused = await client.exchange(
    "OPTIONS /api/small HTTP/1.1\r\nHost: test\r\nOrigin: https://evil.example\r\n" +
      "Access-Control-Request-Method: DELETE\r\n\r\n",
  );
  assert.equal(refused.status, 403);
  assert.equal(refused.header("access-control-allow-origin"), null);
  assert.equal(refused.header("content-security-policy"), "frame-ancestors 'none'");
  assert.ok(!refused.head.toLowerCase().includes("evil.example"));

  // The tiny JSON hot path: security fields only, nothing from CORS or compression.
  const small = await client.exchange(get("/api/small"));
  assert.equal(small.header("vary"), null);
  assert.equal(small.header("access-control-allow-origin"), null);
  assert.equal(small.header("x-content-type-options"), "nosniff");
});
