import assert from "node:assert/strict";
import { ByteSink } from "./byte_sink.ts";
import { HeaderBlock, InvalidHeaderError } from "./header_block.ts";
import type { HttpResponse } from "./message.ts";
import {
  type ExchangeInfo,
  FixedResponse,
  writeChunk,
  writeInterim,
  writeLastChunk,
  writeResponse,
} from "./response_writer.ts";

const NOW = Date.UTC(1994, 10, 6, 8, 49, 37);
const DATE = "date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

function info(overrides: Partial<ExchangeInfo> = {}): ExchangeInfo {
  return { headRequest: false, minorVersion: 1, keepAlive: true, keepAliveTimeoutSeconds: 5, nowMs: NOW, ...overrides };
}

function serialize(response: HttpResponse, exchange: ExchangeInfo = info()) {
  const sink = new ByteSink(16);
  const outcome = writeResponse(sink, response, exchange);
  return { text: new TextDecoder().decode(sink.view()), outcome };
}

Deno.test("writer sends status line, date, keep-alive, fields, content-length and body", () => {
  const { text, outcome } = serialize({ status: 200, headers: [["Content-Type", "text/plain"]], body: "hi" });
  assert.equal(
    text,
    `HTTP/1.1 200 OK\r\n${DATE}keep-alive: timeout=5\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nhi`,
  );
  assert.equal(outcome.keepAlive, true);
  assert.equal(outcome.stream, null);
});

Deno.test("writer counts UTF-8 bytes, not UTF-16 code units, in content-length", () => {
  const { text } = serialize({ status: 200, body: "héllo €" });
  assert.match(text, /content-length: 10\r\n\r\nhéllo €$/);
});

Deno.test("writer says connection: close when the exchange does not keep the connection", () => {
  const { text, outcome } = serialize({ status: 200, body: "" }, info({ keepAlive: false }));
  assert.match(text, /\r\nconnection: close\r\n/);
  assert.doesNotMatch(text, /keep-alive/);
  assert.equal(outcome.keepAlive, false);
});

Deno.test("writer answers an HTTP/1.0 keep-alive request with connection: keep-alive", () => {
  const { text } = serialize({ status: 200, body: "" }, info({ minorVersion: 0 }));
  assert.match(text, /\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n/);
});

Deno.test("writer honours connection: close asked for by the handler", () => {
  const { text, outcome } = serialize({ status: 200, headers: { connection: "close" }, body: "x" });
  assert.equal(outcome.keepAlive, false);
  assert.equal(text.match(/connection:/g)?.length, 1);
});

Deno.test("writer sends the head only for HEAD, with the length the body would have", () => {
  const { text } = serialize({ status: 200, body: "hello" }, info({ headRequest: true }));
  assert.match(text, /content-length: 5\r\n\r\n$/);
});

Deno.test("writer uses a declared content-length for a HEAD answer without body", () => {
  const { text } = serialize({ status: 200, headers: { "content-length": "1234" } }, info({ headRequest: true }));
  assert.match(text, /content-length: 1234\r\n\r\n$/);
});

Deno.test("writer never sends content or content-length with 204 and 304", () => {
  for (const status of [204, 304]) {
    const { text } = serialize({ status, headers: { etag: '"x"' }, body: "ignored" });
    assert.doesNotMatch(text, /content-length|ignored/);
    assert.ok(text.endsWith('etag: "x"\r\n\r\n'));
  }
});

Deno.test("writer drops framing fields set by the handler", () => {
  const { text } = serialize({
    status: 200,
    headers: [["transfer-encoding", "chunked"], ["keep-alive", "timeout=999"], ["content-length", "99"]],
    body: "abc",
  });
  assert.doesNotMatch(text, /chunked|999|content-length: 99/);
  assert.match(text, /content-length: 3\r\n/);
});

Deno.test("writer keeps a date set by the handler and adds none", () => {
  const { text } = serialize({ status: 200, headers: { date: "Mon, 01 Jan 2024 00:00:00 GMT" }, body: "" });
  assert.equal(text.match(/date:/g)?.length, 1);
  assert.match(text, /date: Mon, 01 Jan 2024/);
});

Deno.test("writer sends a stream chunked to HTTP/1.1 and hands it back to the caller", () => {
  const stream = new ReadableStream<Uint8Array>();
  const { text, outcome } = serialize({ status: 200, body: stream });
  assert.match(text, /transfer-encoding: chunked\r\n\r\n$/);
  assert.equal(outcome.stream, stream);
  assert.equal(outcome.framing, "chunked");
});

Deno.test("writer sends a stream to HTTP/1.0 close-delimited and closes the connection", () => {
  const { text, outcome } = serialize({ status: 200, body: new ReadableStream() }, info({ minorVersion: 0 }));
  assert.match(text, /connection: close\r\n/);
  assert.doesNotMatch(text, /transfer-encoding|content-length/);
  assert.equal(outcome.framing, "close");
  assert.equal(outcome.keepAlive, false);
});

Deno.test("writer sends a stream with a declared content-length as a fixed-length body", () => {
  const { text, outcome } = serialize({
    status: 200,
    headers: { "content-length": "5" },
    body: new ReadableStream(),
  });
  assert.match(text, /content-length: 5\r\n\r\n$/);
  assert.equal(outcome.framing, "length");
  assert.equal(outcome.length, 5);
});

Deno.test("writer refuses interim and out-of-range statuses as final responses", () => {
  for (const status of [100, 101, 199, 600, 200.5]) {
    assert.throws(() => serialize({ status }), /invalid final status/);
  }
});

Deno.test("header block refuses values that could split the response", () => {
  for (const value of ["a\r\nset-cookie: x=1", "a\nb", "a\rb", "a\0b", "caf\u20ac"]) {
    assert.throws(() => new HeaderBlock([["x-test", value]]), InvalidHeaderError);
  }
  assert.throws(() => new HeaderBlock([["bad name", "v"]]), InvalidHeaderError);
  assert.throws(() => new HeaderBlock([["", "v"]]), InvalidHeaderError);
});

Deno.test("fixed response is encoded once and sent identically to a plain one", () => {
  const body = new TextEncoder().encode('{"ok":true}');
  const headers = new HeaderBlock([["content-type", "application/json"]]);
  for (const exchange of [info(), info({ keepAlive: false }), info({ headRequest: true }), info({ minorVersion: 0 })]) {
    const fixed = serialize(new FixedResponse(200, headers, body), exchange);
    const plain = serialize({ status: 200, headers, body }, exchange);
    assert.equal(fixed.text, plain.text);
    assert.equal(fixed.outcome.keepAlive, plain.outcome.keepAlive);
  }
});

Deno.test("chunk writer frames data in hex and skips empty chunks", () => {
  const sink = new ByteSink(4);
  writeChunk(sink, new Uint8Array(26).fill(0x61));
  writeChunk(sink, new Uint8Array(0));
  writeLastChunk(sink);
  assert.equal(new TextDecoder().decode(sink.view()), `1a\r\n${"a".repeat(26)}\r\n0\r\n\r\n`);
});

Deno.test("interim response is a status line and an empty line", () => {
  const sink = new ByteSink(4);
  writeInterim(sink, 100);
  assert.equal(new TextDecoder().decode(sink.view()), "HTTP/1.1 100 Continue\r\n\r\n");
});
