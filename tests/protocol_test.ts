/**
 * HTTP/1.1 over real TCP: handler-level servers driven with raw sockets, so every byte
 * on the wire is the test's choice and every byte back is checked. No sleeps: timeouts
 * are tiny and the tests wait for the server's reaction.
 */
import assert from "node:assert/strict";
import type { HttpRequest, HttpResponse } from "../src/http/message.ts";
import {
  type Bytes,
  get,
  IncompleteResponseError,
  latin1,
  post,
  RawClient,
  type RawResponse,
} from "./helpers/raw_client.ts";
import {
  captureLogs,
  echoHandler,
  gate,
  startServer,
  type TestServer,
  type TestServerOptions,
  text,
  within,
} from "./helpers/server.ts";
import { createSelfSignedCertificate, hasOpenssl } from "./helpers/tls.ts";

// ── Shared assertions ──────────────────────────────────────────────────────────

/** The connection was closed by the server without sending anything more. */
async function assertClosedSilently(client: RawClient): Promise<void> {
  const rest = await client.readUntilClosed();
  assert.equal(latin1(rest), "", "no bytes after the last response");
}

/** An engine error response: short text naming the status, no internals. */
function assertSafeErrorBody(response: RawResponse): void {
  assert.match(response.header("content-type") ?? "", /^text\/plain/);
  assert.ok(response.body.length < 200, `short error body, got ${response.body.length} bytes`);
  assert.ok(response.text.startsWith(`${response.status} `), `body names the status: ${response.text}`);
  assert.doesNotMatch(response.text, /\bat .*:\d+|\.ts\b|file:|\/work\/|\/src\/|Error:/);
}

/** Sends `request` on a fresh connection; expects `status`, `connection: close`, then the close. */
async function assertRefused(port: number, request: Bytes | Bytes[], status: number): Promise<RawResponse> {
  await using client = await RawClient.connect(port);
  await client.send(...(Array.isArray(request) ? request : [request]));
  const response = await client.readResponse();
  assert.equal(response.status, status, `expected ${status}, got ${response.head}`);
  assert.equal(response.header("connection"), "close");
  assertSafeErrorBody(response);
  await assertClosedSilently(client);
  return response;
}

/** Answers with "ok" for every request and a fresh connection proves the server still works. */
async function assertServerStillAnswers(port: number): Promise<void> {
  await using client = await RawClient.connect(port);
  const response = await client.exchange(get("/still-alive"));
  assert.equal(response.status, 200);
}

// ── Settings ───────────────────────────────────────────────────────────────────

Deno.test("limits the parser cannot work with are refused when the server is built, not at the first connection", async () => {
  // maxRequestLineBytes defaults to 8 KiB; a head limit of 4 KiB below it is inconsistent.
  let started: TestServer;
  try {
    started = startServer(echoHandler, { limits: { maxHeadBytes: 4_096 } });
  } catch (error) {
    assert.match(String(error), /maxRequestLineBytes|maxHeadBytes/);
    return;
  }
  // Built anyway: shut it down without connecting (a connection would crash the accept loop).
  await started.close();
  assert.fail("HttpServer accepted maxHeadBytes 4096 below maxRequestLineBytes 8192");
});

// ── Keep-alive ─────────────────────────────────────────────────────────────────

Deno.test("keep-alive: two requests on one connection are both answered", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  const first = await client.exchange(get("/one"));
  assert.equal(first.status, 200);
  assert.equal(first.text, "GET /one");
  assert.equal(first.header("connection"), null, "HTTP/1.1 keep-alive needs no connection field");
  const second = await client.exchange(get("/two"));
  assert.equal(second.status, 200);
  assert.equal(second.text, "GET /two");
  assert.equal(server.server.connectionCount, 1);
});

Deno.test("keep-alive: a Connection: close request gets connection: close and the socket is closed", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/bye", "Connection: close"));
  assert.equal(response.status, 200);
  assert.equal(response.text, "GET /bye");
  assert.equal(response.header("connection"), "close");
  assert.equal(response.header("keep-alive"), null);
  await assertClosedSilently(client);
});

Deno.test("keep-alive: requests pipelined after a Connection: close request are not answered", async () => {
  let calls = 0;
  await using server = startServer((request) => {
    calls++;
    return echoHandler(request);
  });
  await using client = await RawClient.connect(server.port);
  await client.send(get("/last", "Connection: close") + get("/ignored"));
  const response = await client.readResponse();
  assert.equal(response.text, "GET /last");
  assert.equal(response.header("connection"), "close");
  await assertClosedSilently(client);
  assert.equal(calls, 1);
});

Deno.test("keep-alive: an HTTP/1.0 request without keep-alive is closed after the response", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange("GET /old HTTP/1.0\r\n\r\n");
  assert.equal(response.status, 200);
  assert.equal(response.version, "1.1", "a server answers with its own version");
  assert.equal(response.text, "GET /old");
  assert.equal(response.header("connection"), "close");
  await assertClosedSilently(client);
});

Deno.test("keep-alive: HTTP/1.0 with Connection: keep-alive stays open and says connection: keep-alive", async () => {
  await using server = startServer(echoHandler, { keepAliveTimeoutMs: 7_000 });
  await using client = await RawClient.connect(server.port);
  const first = await client.exchange("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  assert.equal(first.status, 200);
  assert.equal(first.header("connection"), "keep-alive");
  assert.equal(first.header("keep-alive"), "timeout=7");
  assert.equal(first.header("content-length"), String("GET /a".length));
  const second = await client.exchange("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  assert.equal(second.text, "GET /b");
  assert.equal(second.header("connection"), "keep-alive");
});

Deno.test("keep-alive: HTTP/1.1 responses advertise keep-alive: timeout=N in whole seconds", async () => {
  await using server = startServer(echoHandler, { keepAliveTimeoutMs: 7_900 });
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/"));
  assert.equal(response.header("keep-alive"), "timeout=7");
  assert.equal(response.headerCount("keep-alive"), 1);
});

// ── Pipelining ─────────────────────────────────────────────────────────────────

Deno.test("pipelining: GET, POST with a body and GET in one write are answered in order", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  await client.send(get("/first") + post("/echo", "hello, pipeline") + get("/third"));
  const [first, second, third] = await client.readResponses(3);
  assert.equal(first.text, "GET /first");
  assert.equal(second.text, "hello, pipeline");
  assert.equal(third.text, "GET /third");
  for (const response of [first, second, third]) assert.equal(response.status, 200);
  assert.equal(client.reader.buffered, 0, "nothing beyond the three responses");
});

Deno.test("pipelining: a chunked POST in the middle of a pipeline is answered in order", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  const chunked = "POST /chunked HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
  await client.send(get("/before") + chunked + get("/after"));
  const [first, second, third] = await client.readResponses(3);
  assert.equal(first.text, "GET /before");
  assert.equal(second.text, "hello, world");
  assert.equal(third.text, "GET /after");
});

Deno.test("pipelining: responses to a pipeline of synchronous handlers are batched into one write", async () => {
  await using server = startServer(() => text(200, "sync"));
  await using client = await RawClient.connect(server.port);
  await client.send(get("/1") + get("/2") + get("/3"));
  const responses = await client.readResponses(3);
  assert.deepEqual(responses.map((r) => r.text), ["sync", "sync", "sync"]);
  // Informational only: one read usually carries all three, but TCP is free to split them.
  if (client.reader.reads !== 1) console.warn(`pipeline responses arrived in ${client.reader.reads} reads`);
});

Deno.test("pipelining: large responses to a pipeline arrive intact and in order", async () => {
  const size = 200 * 1024;
  await using server = startServer((request) => text(200, request.path.slice(1).repeat(size)));
  await using client = await RawClient.connect(server.port);
  await client.send(get("/a") + get("/b") + get("/c") + get("/d"));
  const responses = await client.readResponses(4);
  assert.deepEqual(responses.map((r) => r.body.length), [size, size, size, size]);
  assert.deepEqual(responses.map((r) => r.text[0] + r.text[size - 1]), ["aa", "bb", "cc", "dd"]);
});

Deno.test("a small body the handler leaves unread is dropped and the connection stays usable", async () => {
  await using server = startServer((request) => text(200, `ignored ${request.contentLength}`));
  await using client = await RawClient.connect(server.port);
  await client.send(post("/ignore", "x".repeat(1_000)) + get("/next"));
  const ignored = await client.readResponse();
  assert.equal(ignored.text, "ignored 1000");
  assert.equal(ignored.header("connection"), null, "1000 bytes are well under maxDiscardBytes (64 KiB)");
  const next = await client.readResponse();
  assert.equal(next.text, "ignored 0");
  const chunked = "POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  await client.send(chunked + get("/after-chunked"));
  const [unreadChunked, after] = await client.readResponses(2);
  assert.equal(unreadChunked.text, "ignored -1");
  assert.equal(after.text, "ignored 0");
});

Deno.test("a body over maxDiscardBytes that the handler leaves unread costs the connection", async () => {
  await using server = startServer(() => text(403, "no"), { maxDiscardBytes: 1_024 });
  await using client = await RawClient.connect(server.port);
  await client.send("POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(10_000));
  const response = await client.readResponse();
  assert.equal(response.status, 403);
  assert.equal(response.header("connection"), "close");
  await assertClosedSilently(client);
});

// ── Chunked request bodies ─────────────────────────────────────────────────────

Deno.test("chunked body with extensions and trailers reaches the handler intact, trailers after reading", async () => {
  const seen: { body: string; trailersBefore: unknown; trailers: [string, string][]; header: string | null }[] = [];
  await using server = startServer(async (request) => {
    const trailersBefore = request.body.trailers;
    const body = await request.body.text();
    seen.push({
      body,
      trailersBefore,
      trailers: [...(request.body.trailers ?? [])],
      header: request.headers.get("x-checksum"),
    });
    return text(200, "ok");
  });
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(
    "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "4;name=value\r\nWiki\r\n" +
      '5 ; ext ; other="quoted"\r\npedia\r\n' +
      "e\r\n in\r\n\r\nchunks.\r\n" +
      "0;last\r\nX-Checksum: abc123\r\nX-Other: 1\r\n\r\n",
  );
  assert.equal(response.status, 200);
  assert.equal(seen.length, 1);
  const [{ body, trailersBefore, trailers, header }] = seen;
  assert.equal(body, "Wikipedia in\r\n\r\nchunks.");
  assert.equal(trailersBefore, null, "no trailers before the body is read");
  assert.deepEqual(trailers, [["x-checksum", "abc123"], ["x-other", "1"]]);
  assert.equal(header, null, "trailers are not merged into the header fields");
  // The connection is still usable after a chunked body.
  assert.equal((await client.exchange(get("/next"))).status, 200);
});

// ── Error statuses ─────────────────────────────────────────────────────────────

Deno.test("400 for a malformed request-line, then close", async () => {
  await using server = startServer(echoHandler);
  await assertRefused(server.port, "GET /\r\nHost: test\r\n\r\n", 400);
  await assertRefused(server.port, "GET  / HTTP/1.1\r\nHost: test\r\n\r\n", 400);
  await assertRefused(server.port, "get / HTTP/1.1 extra\r\nHost: test\r\n\r\n", 400);
  await assertRefused(server.port, "GET / HTTP/1.1\nHost: test\n\n", 400);
});

Deno.test("400 for Content-Length together with Transfer-Encoding, then close", async () => {
  await using server = startServer(echoHandler);
  await assertRefused(
    server.port,
    "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    400,
  );
});

Deno.test("400 for a bad chunk size while the handler reads the body, then close", async () => {
  await using server = startServer(echoHandler);
  await assertRefused(
    server.port,
    "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
    400,
  );
});

Deno.test("server answers 413 before the body is sent when Content-Length is over the limit", async () => {
  const logs = captureLogs();
  await using server = startServer(echoHandler, { limits: { maxBodyBytes: 1_000 }, logger: logs.logger });
  await using client = await RawClient.connect(server.port);
  // Only the head: the client waits for the verdict before sending 5000 bytes.
  await client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n");
  const response = await client.readResponse();
  assert.equal(response.status, 413);
  assert.equal(response.header("connection"), "close");
  assertSafeErrorBody(response);
  await assertClosedSilently(client);
  assert.equal(logs.matching("status=413").length, 1);
});

Deno.test("413 when a chunked body grows over the limit, then close", async () => {
  await using server = startServer(echoHandler, { limits: { maxBodyBytes: 1_000 } });
  const head = "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
  await assertRefused(server.port, [head, `200\r\n${"a".repeat(0x200)}\r\n`, `300\r\n${"b".repeat(100)}`], 413);
});

Deno.test("414 for a request-target over the request-line limit, then close", async () => {
  await using server = startServer(echoHandler, { limits: { maxRequestLineBytes: 1_024 } });
  await assertRefused(server.port, get(`/${"a".repeat(2_000)}`), 414);
});

Deno.test("431 for too many header fields and for a head over the size limit, then close", async () => {
  await using server = startServer(echoHandler, {
    limits: { maxHeaderCount: 20, maxHeadBytes: 4_096, maxRequestLineBytes: 1_024 },
  });
  const many = Array.from({ length: 21 }, (_, i) => `X-Field-${i}: ${i}`);
  await assertRefused(server.port, get("/", ...many), 431);
  await assertRefused(server.port, get("/", `X-Big: ${"b".repeat(5_000)}`), 431);
});

Deno.test("505 for HTTP/2.0, then close", async () => {
  await using server = startServer(echoHandler);
  await assertRefused(server.port, "GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505);
});

Deno.test("501 for CONNECT, then close", async () => {
  await using server = startServer(echoHandler);
  await assertRefused(server.port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501);
});

Deno.test("417 for an unknown expectation, then close", async () => {
  await using server = startServer(echoHandler);
  await assertRefused(
    server.port,
    "POST / HTTP/1.1\r\nHost: test\r\nExpect: 200-ok\r\nContent-Length: 3\r\n\r\n",
    417,
  );
});

// ── Timeouts ───────────────────────────────────────────────────────────────────

const FAST_TIMEOUTS: TestServerOptions = { headerTimeoutMs: 200, keepAliveTimeoutMs: 200, bodyTimeoutMs: 200 };

Deno.test("408 after a partial head and silence, then close", async () => {
  const logs = captureLogs();
  await using server = startServer(echoHandler, { ...FAST_TIMEOUTS, logger: logs.logger });
  await using client = await RawClient.connect(server.port);
  const sentAt = Date.now();
  await client.send("GET / HTTP/1.1\r\nHost: test\r\n");
  const response = await client.readResponse();
  const elapsed = Date.now() - sentAt;
  assert.equal(response.status, 408);
  assert.equal(response.header("connection"), "close");
  assertSafeErrorBody(response);
  await assertClosedSilently(client);
  assert.ok(elapsed >= 200, `408 after ${elapsed} ms, before headerTimeoutMs`);
  assert.equal(logs.matching("request timed out").length, 1);
});

Deno.test("slowloris: a head trickled byte by byte still gets 408 once the header deadline passes", async () => {
  // The head never ends and bytes keep coming; the deadline runs from its first byte, not the last read.
  await using server = startServer(echoHandler, { headerTimeoutMs: 200, limits: { maxHeadBytes: 64 * 1024 * 1024 } });
  await using client = await RawClient.connect(server.port);
  const firstByteAt = Date.now();
  await client.send("GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ");
  let answered = false;
  const response = client.readResponse().finally(() => answered = true);
  let trickled = 0;
  while (!answered) {
    try {
      await client.send("a");
      trickled++;
    } catch {
      break; // The server closed: the write side is gone.
    }
  }
  const result = await response;
  const elapsed = Date.now() - firstByteAt;
  assert.equal(result.status, 408, `after ${trickled} trickled bytes: ${result.head}`);
  assert.ok(trickled > 0);
  assert.ok(elapsed >= 200, `408 after ${elapsed} ms, before headerTimeoutMs`);
  await client.readUntilClosed();
});

Deno.test("an idle keep-alive connection is closed silently after keepAliveTimeoutMs", async () => {
  await using server = startServer(echoHandler, FAST_TIMEOUTS);
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/"));
  assert.equal(response.status, 200);
  const answeredAt = Date.now();
  await assertClosedSilently(client);
  assert.equal(client.reader.reset, false, "a clean close, not a reset");
  const idle = Date.now() - answeredAt;
  assert.ok(idle >= 150, `closed after ${idle} ms of idleness`);
});

Deno.test("a connection that never sends a byte is closed silently after keepAliveTimeoutMs", async () => {
  await using server = startServer(echoHandler, FAST_TIMEOUTS);
  await using client = await RawClient.connect(server.port);
  await assertClosedSilently(client);
});

Deno.test("408 when the body stops coming while the handler reads it, then close", async () => {
  let handlerFailure: unknown = null;
  await using server = startServer(async (request) => {
    try {
      return text(200, await request.body.text());
    } catch (error) {
      handlerFailure = error;
      throw error;
    }
  }, FAST_TIMEOUTS);
  await using client = await RawClient.connect(server.port);
  await client.send("POST /slow HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc");
  const response = await client.readResponse();
  assert.equal(response.status, 408);
  assert.equal(response.header("connection"), "close");
  await assertClosedSilently(client);
  await server.close();
  assert.ok(handlerFailure !== null, "the handler's body read failed");
});

Deno.test("a client that stops reading is dropped after writeTimeoutMs", async () => {
  const huge = new Uint8Array(64 * 1024 * 1024);
  await using server = startServer(() => ({ status: 200, body: huge }), {
    writeTimeoutMs: 200,
    shutdownTimeoutMs: 60_000,
  });
  await using client = await RawClient.connect(server.port);
  await client.send(get("/huge"));
  // The client never reads. Only the write deadline can end the connection before the 60 s shutdown timeout.
  await within(server.close(), 10_000, "the stalled connection is dropped by the write timeout");
  assert.equal(server.server.connectionCount, 0);
});

// ── HEAD ───────────────────────────────────────────────────────────────────────

Deno.test("HEAD gets the same fields as GET, content-length included, and no body bytes", async () => {
  await using server = startServer(() => text(200, "héllo head", [["x-custom", "1"]]));
  await using client = await RawClient.connect(server.port);
  await client.send("HEAD /x HTTP/1.1\r\nHost: test\r\n\r\n" + get("/x"));
  const head = await client.readResponse({ head: true });
  // Parsed as a normal response: if HEAD had body bytes, this status line would be garbage.
  const full = await client.readResponse();
  assert.equal(head.status, 200);
  assert.ok(latin1(head.raw).endsWith("\r\n\r\n"));
  assert.equal(full.text, "héllo head");
  assert.equal(head.header("content-length"), String(new TextEncoder().encode("héllo head").length));
  const withoutDate = (r: RawResponse) => r.headers.filter(([name]) => name !== "date");
  assert.deepEqual(withoutDate(head), withoutDate(full));
  assert.equal(client.reader.buffered, 0);
});

// ── Expect: 100-continue ───────────────────────────────────────────────────────

Deno.test("100 Continue is sent when the handler reads the body, then the final response", async () => {
  const reading = gate();
  await using server = startServer(async (request) => {
    await reading.pass();
    return text(200, `got ${await request.body.text()}`);
  });
  await using client = await RawClient.connect(server.port);
  await client.send("POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  await reading.entered;
  reading.release();
  const interim = await client.readResponse();
  assert.equal(interim.status, 100);
  assert.equal(latin1(interim.raw), "HTTP/1.1 100 Continue\r\n\r\n");
  await client.send("hello");
  const final = await client.readResponse();
  assert.equal(final.status, 200);
  assert.equal(final.text, "got hello");
  assert.equal(final.header("connection"), null, "the connection stays open");
  assert.equal((await client.exchange(get("/next"))).status, 200);
});

Deno.test("100 Continue is sent exactly once when the handler reads the body at once", async () => {
  // echoHandler starts reading the body before its first await.
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  await client.send("POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  const interim = await client.readResponse();
  assert.equal(interim.status, 100);
  await client.send("hello");
  const final = await client.readResponse();
  assert.equal(final.status, 200, `a second interim response instead of the final one: ${JSON.stringify(final.head)}`);
  assert.equal(final.text, "hello");
  assert.equal((await client.exchange(get("/next"))).text, "GET /next");
});

Deno.test("a pipelined response is sent once when the next handler reads an Expect: 100-continue body at once", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  await client.send(
    get("/first") + "POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
  );
  const first = await client.readResponse();
  assert.equal(first.text, "GET /first");
  const interim = await client.readResponse();
  assert.equal(
    interim.status,
    100,
    `expected 100 Continue after the first response, got ${JSON.stringify(interim.head)}`,
  );
  await client.send("hello");
  const final = await client.readResponse();
  assert.equal(final.status, 200);
  assert.equal(final.text, "hello");
});

Deno.test("a handler that answers 401 without reading the body sends no 100, and the connection closes", async () => {
  await using server = startServer(() => text(401, "who are you?", [["www-authenticate", "Bearer"]]));
  await using client = await RawClient.connect(server.port);
  await client.send("POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
  const response = await client.readResponse();
  assert.equal(response.status, 401, "the first response is the final one, not 100");
  assert.equal(response.text, "who are you?");
  assert.equal(response.header("connection"), "close");
  await assertClosedSilently(client);
});

Deno.test("an HTTP/1.0 request with Expect gets no 100 Continue", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port);
  await client.send("POST /up HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
  const response = await client.readResponse();
  assert.equal(response.status, 200);
  assert.equal(response.text, "hello");
  await assertClosedSilently(client);
});

// ── Handler failures ───────────────────────────────────────────────────────────

Deno.test("a handler that throws gets a generic 500 and the connection stays usable", async () => {
  const logs = captureLogs();
  await using server = startServer((request) => {
    if (request.path === "/boom") throw new Error("database password is hunter2 at /srv/app/db.ts:12");
    return text(200, "fine");
  }, { logger: logs.logger });
  await using client = await RawClient.connect(server.port);
  const failed = await client.exchange(get("/boom"));
  assert.equal(failed.status, 500);
  assert.equal(failed.text, "500 Internal Server Error\n");
  assert.equal(failed.header("connection"), null);
  const next = await client.exchange(get("/ok"));
  assert.equal(next.status, 200);
  assert.equal(next.text, "fine");
  assert.equal(logs.matching("handler failed").length, 1, "the failure is logged, not sent");
});

Deno.test("a handler whose promise rejects gets a generic 500", async () => {
  await using server = startServer(() => Promise.reject(new TypeError("secret detail")));
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/"));
  assert.equal(response.status, 500);
  assert.doesNotMatch(response.text, /secret/);
});

Deno.test("a header value containing CRLF becomes a 500, never a split response", async () => {
  await using server = startServer((request) =>
    request.path === "/split"
      ? { status: 200, headers: [["x-note", "a\r\nx-injected: yes\r\n\r\nHTTP/1.1 200 OK"]], body: "no" }
      : text(200, "fine")
  );
  await using client = await RawClient.connect(server.port);
  await client.send(get("/split") + get("/after"));
  const [split, after] = await client.readResponses(2);
  assert.equal(split.status, 500);
  assert.equal(split.header("x-injected"), null);
  assert.equal(split.header("x-note"), null);
  assert.equal(after.status, 200);
  assert.equal(after.text, "fine");
  assert.equal(client.reader.buffered, 0, "exactly two responses");
});

Deno.test("a status outside 200-599 from a handler becomes a 500", async () => {
  await using server = startServer(() => ({ status: 101, body: "switch" }));
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/"));
  assert.equal(response.status, 500);
});

// ── Garbage ────────────────────────────────────────────────────────────────────

/** Deterministic pseudo-random bytes (xorshift32). */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

Deno.test("random bytes get 400 and close, and a fresh connection still works", async () => {
  await using server = startServer(echoHandler);
  for (const seed of [1, 42, 0x9e3779b9]) {
    await assertRefused(server.port, pseudoRandomBytes(512, seed), 400);
  }
  await assertServerStillAnswers(server.port);
});

Deno.test("a TLS ClientHello sent to a plain-text server gets 400 and close", async () => {
  await using server = startServer(echoHandler);
  const clientHello = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\x00".repeat(32) + "\x20";
  await assertRefused(server.port, clientHello, 400);
  await assertServerStillAnswers(server.port);
});

Deno.test("empty lines alone get 400: at the peer's half-close, or once there are too many", async () => {
  // RFC 9112 §2.2: a few empty lines before a request-line are tolerated, so "\r\n\r\n"
  // by itself is not yet an error; it is once the client stops sending.
  await using server = startServer(echoHandler);
  {
    await using client = await RawClient.connect(server.port);
    await client.send("\r\n\r\n");
    await client.closeWrite();
    const response = await client.readResponse();
    assert.equal(response.status, 400);
    await assertClosedSilently(client);
  }
  await assertRefused(server.port, "\r\n".repeat(20), 400);
  await assertServerStillAnswers(server.port);
});

// ── Streamed responses ─────────────────────────────────────────────────────────

function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) controller.enqueue(encoder.encode(pieces[i++]));
      else controller.close();
    },
  });
}

const streamHandler = (request: HttpRequest): HttpResponse => {
  if (request.path === "/declared") {
    return { status: 200, headers: [["content-length", "11"]], body: streamOf("hello", " ", "world") };
  }
  return { status: 200, headers: [["content-type", "text/plain"]], body: streamOf("alpha-", "beta-", "gamma") };
};

Deno.test("a stream body goes out chunked to HTTP/1.1 and the connection stays open", async () => {
  await using server = startServer(streamHandler);
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/stream"));
  assert.equal(response.framing, "chunked");
  assert.equal(response.header("transfer-encoding"), "chunked");
  assert.equal(response.header("content-length"), null);
  assert.equal(response.text, "alpha-beta-gamma");
  assert.ok(latin1(response.raw).endsWith("\r\n0\r\n\r\n"));
  assert.equal((await client.exchange(get("/stream"))).text, "alpha-beta-gamma");
});

Deno.test("a stream body goes out close-delimited to HTTP/1.0", async () => {
  await using server = startServer(streamHandler);
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  assert.equal(response.framing, "close");
  assert.equal(response.header("transfer-encoding"), null);
  assert.equal(response.header("content-length"), null);
  assert.equal(response.header("connection"), "close");
  assert.equal(response.text, "alpha-beta-gamma");
  assert.ok(client.reader.eof);
});

Deno.test("a stream body with a declared content-length goes out with that length", async () => {
  await using server = startServer(streamHandler);
  await using client = await RawClient.connect(server.port);
  const response = await client.exchange(get("/declared"));
  assert.equal(response.framing, "length");
  assert.equal(response.header("content-length"), "11");
  assert.equal(response.header("transfer-encoding"), null);
  assert.equal(response.text, "hello world");
  assert.equal((await client.exchange(get("/declared"))).text, "hello world");
});

Deno.test("a stream that fails midway ends the connection without the last chunk", async () => {
  const logs = captureLogs();
  let pulls = 0;
  await using server = startServer(() => ({
    status: 200,
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode("partial"));
        else controller.error(new Error("disk gone"));
      },
    }),
  }), { logger: logs.logger });
  await using client = await RawClient.connect(server.port);
  await client.send(get("/broken"));
  const error = await client.readResponse().then(
    () => assert.fail("a complete response"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof IncompleteResponseError, String(error));
  const partial = latin1(error.partial);
  assert.match(partial, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(partial, /transfer-encoding: chunked\r\n/);
  assert.ok(partial.endsWith("\r\n\r\n7\r\npartial\r\n"), JSON.stringify(partial));
  assert.ok(client.reader.eof);
  assert.equal(logs.matching("response stream failed").length, 1);
});

Deno.test("a stream shorter than its declared content-length ends the connection", async () => {
  await using server = startServer(() => ({
    status: 200,
    headers: [["content-length", "100"]],
    body: streamOf("only ", "ten"),
  }));
  await using client = await RawClient.connect(server.port);
  await client.send(get("/short"));
  await assert.rejects(client.readResponse(), IncompleteResponseError);
  assert.ok(client.reader.eof);
});

// ── Connection limit ───────────────────────────────────────────────────────────

Deno.test("connection limit: a third connection gets 503 and is closed while the first two still work", async () => {
  await using server = startServer(echoHandler, { maxConnections: 2 });
  await using first = await RawClient.connect(server.port);
  await using second = await RawClient.connect(server.port);
  // A response proves the server has admitted the connection.
  assert.equal((await first.exchange(get("/1"))).status, 200);
  assert.equal((await second.exchange(get("/2"))).status, 200);
  {
    await using third = await RawClient.connect(server.port);
    await third.send(get("/3")); // Real clients write at once; the 503 must still arrive.
    const refused = await third.readResponse();
    assert.equal(refused.status, 503);
    assert.equal(refused.header("connection"), "close");
    assert.equal(refused.header("retry-after"), "1");
    assertSafeErrorBody(refused);
    await assertClosedSilently(third);
  }
  assert.equal((await first.exchange(get("/1b"))).text, "GET /1b");
  assert.equal((await second.exchange(get("/2b"))).text, "GET /2b");
});

// ── Graceful shutdown ──────────────────────────────────────────────────────────

Deno.test("shutdown lets the request in flight finish with connection: close and closes idle ones at once", async () => {
  const slow = gate();
  await using server = startServer(async (request) => {
    if (request.path === "/slow") await slow.pass();
    return text(200, `done ${request.path}`);
  }, { keepAliveTimeoutMs: 60_000, shutdownTimeoutMs: 60_000 });
  await using busy = await RawClient.connect(server.port);
  await using idle = await RawClient.connect(server.port);
  assert.equal((await idle.exchange(get("/warm-up"))).status, 200);
  await busy.send(get("/slow"));
  await slow.entered;

  let shutDown = false;
  const shutdown = server.close().then(() => shutDown = true);
  // The idle keep-alive connection goes at once, long before its 60 s timeout.
  await assertClosedSilently(idle);
  // New connections are refused once shutdown has begun.
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }), Deno.errors.ConnectionRefused);
  assert.equal(shutDown, false, "shutdown waits for the request in flight");

  slow.release();
  const response = await busy.readResponse();
  assert.equal(response.status, 200);
  assert.equal(response.text, "done /slow");
  assert.equal(response.header("connection"), "close");
  await assertClosedSilently(busy);
  await within(shutdown, 5_000, "shutdown after the last request finished");
  assert.equal(server.server.connectionCount, 0);
});

Deno.test("shutdown with a short timeout cuts a handler that never finishes and still resolves", async () => {
  const stuck = gate();
  await using server = startServer(async () => {
    await stuck.pass(); // Released only to clean up after the assertions.
    return text(200, "too late");
  });
  await using client = await RawClient.connect(server.port);
  await client.send(get("/stuck"));
  await stuck.entered;
  const shutdown = server.server.shutdown(100);
  try {
    const rest = await within(client.readUntilClosed(), 5_000, "the connection is cut after the shutdown timeout");
    assert.equal(latin1(rest), "", "cut without a response");
    await within(shutdown, 5_000, "shutdown resolves although the handler never finished");
  } finally {
    stuck.release();
    await shutdown;
  }
});

// ── Byte-at-a-time ─────────────────────────────────────────────────────────────

Deno.test("a request sent one byte per write is answered correctly", async () => {
  await using server = startServer(echoHandler);
  await using client = await RawClient.connect(server.port, { noDelay: true });
  await client.sendBytewise(post("/bytes", "one byte at a time", "X-Extra: yes"));
  const response = await client.readResponse();
  assert.equal(response.status, 200);
  assert.equal(response.text, "one byte at a time");
  await client.sendBytewise(
    "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
  );
  assert.equal((await client.readResponse()).text, "abc");
});

// ── TLS ────────────────────────────────────────────────────────────────────────

Deno.test({
  name: "TLS: keep-alive and pipelining over Deno.connectTls, and fetch with a custom CA",
  ignore: !hasOpenssl(),
  async fn() {
    const { cert, key } = await createSelfSignedCertificate();
    await using server = startServer((request) => {
      if (!request.secure) return text(500, "not secure");
      return echoHandler(request);
    }, { tls: { cert, key } });
    assert.equal(server.server.secure, true);

    {
      await using client = await RawClient.connectTls(server.port, { caCerts: [cert] });
      const first = await client.exchange(get("/tls-one"));
      assert.equal(first.text, "GET /tls-one");
      await client.send(get("/a") + post("/b", "secret body") + get("/c"));
      const pipelined = await client.readResponses(3);
      assert.deepEqual(pipelined.map((r) => r.text), ["GET /a", "secret body", "GET /c"]);
      const last = await client.exchange(get("/bye", "Connection: close"));
      assert.equal(last.header("connection"), "close");
      await assertClosedSilently(client);
    }

    const httpClient = Deno.createHttpClient({ caCerts: [cert] });
    try {
      for (const host of ["localhost", "127.0.0.1"]) {
        const response = await fetch(`https://${host}:${server.port}/fetched?x=1`, { client: httpClient });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "GET /fetched?x=1");
      }
      const posted = await fetch(`https://localhost:${server.port}/echo`, {
        method: "POST",
        body: "posted over tls",
        client: httpClient,
      });
      assert.equal(await posted.text(), "posted over tls");
    } finally {
      httpClient.close();
    }
  },
});

Deno.test({
  name: "TLS: a plain-text request to the TLS port is dropped without an error-level log line",
  ignore: !hasOpenssl(),
  async fn() {
    const { cert, key } = await createSelfSignedCertificate();
    const logs = captureLogs();
    await using server = startServer(echoHandler, { tls: { cert, key }, logger: logs.logger });
    {
      await using client = await RawClient.connect(server.port);
      await client.send(get("/"));
      const reply = await client.readUntilClosed();
      assert.ok(!latin1(reply).startsWith("HTTP/"), "no HTTP response in plain text");
    }
    await server.close();
    // A client's mistake (anyone can send it, as often as they like) is not a server error.
    assert.deepEqual(logs.lines.filter((line) => / ERROR /.test(line)), []);
  },
});
