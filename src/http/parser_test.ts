/**
 * Fixture tests for the request parser, in the style of llhttp's fixtures.
 *
 * Each fixture is raw request bytes (a string, one char per byte, with explicit \r\n),
 * optional limits, and the expected outcome: the events, and the error that ends the
 * input if any. The runner feeds every fixture all at once, one byte at a time, and in
 * random seeded splits through reserve()/commit(), and requires the same outcome each way.
 */
import assert from "node:assert/strict";
import { ParserUsageError, ProtocolError } from "./errors.ts";
import type { ParserLimits } from "./limits.ts";
import { NEED_DATA, type RequestHead, RequestParser } from "./parser.ts";

// ── Fixture format ───────────────────────────────────────────────────────────

interface ExpectedHead {
  method?: string;
  target?: string;
  path?: string;
  query?: string;
  authority?: string;
  minorVersion?: 0 | 1;
  keepAlive?: boolean;
  expectContinue?: boolean;
  framing?: "none" | "length" | "chunked";
  contentLength?: number;
  /** Every field line, in order: [lowercased name, trimmed value]. */
  headers?: [string, string][];
  /** Results of `headers.get(name)`. */
  get?: Record<string, string | null>;
}

type ExpectedEvent =
  | { head: ExpectedHead }
  /** Body bytes as latin1; consecutive data events are concatenated before comparison. */
  | { data: string }
  /** Trailer fields of the message, or null. */
  | { end: [string, string][] | null };

interface Fixture {
  /** The behaviour, as the test name. */
  name: string;
  /** Request bytes, one char (0x00–0xFF) per byte. */
  raw: string;
  limits?: Partial<ParserLimits>;
  /** Every event, or every event before the error. Defaults to none. */
  events?: ExpectedEvent[];
  /** The error the input ends with; message is a substring of the error message. */
  error?: { status: number; message?: string };
  /** Only for fixtures without error: whether the parser is idle after the input (default true). */
  idle?: boolean;
}

// ── Fixture helpers ──────────────────────────────────────────────────────────

const HOST = "Host: example.com\r\n";
const GET = "GET / HTTP/1.1\r\n" + HOST + "\r\n";
const END: ExpectedEvent = { end: null };

/** A request-line (without CRLF) of exactly `size` bytes: "GET /aaa… HTTP/1.1". */
function requestLineOf(size: number): string {
  const shortest = "GET / HTTP/1.1";
  return "GET /" + "a".repeat(size - shortest.length) + " HTTP/1.1";
}

/** A complete GET head of exactly `size` bytes, padded in an X-Pad value. */
function headOfSize(size: number): string {
  const shortest = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n";
  return shortest.replace("X-Pad: ", "X-Pad: " + "p".repeat(size - shortest.length));
}

/** A GET head with `count` field lines (Host plus X-N lines). */
function headWithFields(count: number): string {
  let fields = "Host: x\r\n";
  for (let n = 1; n < count; n++) fields += `X-${n}: v\r\n`;
  return "GET / HTTP/1.1\r\n" + fields + "\r\n";
}

/** A chunked POST head. */
const CHUNKED_POST = "POST /upload HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n";
/** The head event of CHUNKED_POST, framing only. */
const CHUNKED_HEAD: ExpectedEvent = { head: { framing: "chunked", contentLength: -1 } };

/** A POST head with the given extra field lines (each ending in \r\n). */
function post(fields: string): string {
  return "POST / HTTP/1.1\r\n" + HOST + fields + "\r\n";
}

// ── Fixture table ────────────────────────────────────────────────────────────

const FIXTURES: Fixture[] = [
  // Valid requests: request-line and version.
  {
    name: "parser accepts a simple GET",
    raw: GET,
    events: [
      {
        head: {
          method: "GET",
          target: "/",
          path: "/",
          query: "",
          authority: "example.com",
          minorVersion: 1,
          keepAlive: true,
          expectContinue: false,
          framing: "none",
          contentLength: 0,
          headers: [["host", "example.com"]],
        },
      },
      END,
    ],
  },
  {
    name: "parser splits the query from the path of an origin-form target",
    raw: "GET /search/a%20b?q=1&r=%2F HTTP/1.1\r\n" + HOST + "\r\n",
    events: [{ head: { target: "/search/a%20b?q=1&r=%2F", path: "/search/a%20b", query: "q=1&r=%2F" } }, END],
  },
  {
    name: "parser gives an empty query for a target ending in ?",
    raw: "GET /p? HTTP/1.1\r\n" + HOST + "\r\n",
    events: [{ head: { target: "/p?", path: "/p", query: "" } }, END],
  },
  {
    name: "parser accepts HTTP/1.0 without Host and does not keep the connection alive",
    raw: "GET / HTTP/1.0\r\n\r\n",
    events: [{ head: { minorVersion: 0, authority: "", keepAlive: false, headers: [] } }, END],
  },
  {
    name: "parser keeps an HTTP/1.0 connection alive with Connection: keep-alive",
    raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    events: [{ head: { minorVersion: 0, keepAlive: true } }, END],
  },
  {
    name: "parser does not keep an HTTP/1.1 connection alive with Connection: close",
    raw: "GET / HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n",
    events: [{ head: { minorVersion: 1, keepAlive: false } }, END],
  },
  {
    name: "parser lets close win in Connection: Keep-Alive, Close",
    raw: "GET / HTTP/1.1\r\n" + HOST + "Connection: Keep-Alive, Close\r\n\r\n",
    events: [{ head: { keepAlive: false } }, END],
  },
  {
    name: "parser treats HTTP/1.2 as minor version 1",
    raw: "GET / HTTP/1.2\r\n" + HOST + "\r\n",
    events: [{ head: { minorVersion: 1, keepAlive: true } }, END],
  },
  {
    name: "parser treats the method as a case-sensitive token (get stays get)",
    raw: "get / HTTP/1.1\r\n" + HOST + "\r\n",
    events: [{ head: { method: "get" } }, END],
  },
  {
    name: "parser accepts a method of any token characters",
    raw: "M-SEARCH!#$%&'*+.^_`|~9 / HTTP/1.1\r\n" + HOST + "\r\n",
    events: [{ head: { method: "M-SEARCH!#$%&'*+.^_`|~9" } }, END],
  },
  {
    name: "parser accepts a method of exactly 32 bytes",
    raw: "M".repeat(32) + " / HTTP/1.1\r\n" + HOST + "\r\n",
    events: [{ head: { method: "M".repeat(32) } }, END],
  },
  {
    name: "parser skips 8 empty lines before the request-line",
    raw: "\r\n".repeat(8) + GET,
    events: [{ head: { method: "GET", path: "/" } }, END],
  },
  {
    name: "parser accepts a request-line of exactly maxRequestLineBytes",
    raw: requestLineOf(64) + "\r\nHost: x\r\n\r\n",
    limits: { maxRequestLineBytes: 64 },
    events: [{ head: { path: "/" + "a".repeat(50) } }, END],
  },

  // Valid requests: targets and Host.
  {
    name: "parser takes the authority of an absolute-form target over Host",
    raw: "GET http://example.com:8080/p?q HTTP/1.1\r\nHost: other.example\r\n\r\n",
    events: [
      {
        head: {
          target: "http://example.com:8080/p?q",
          authority: "example.com:8080",
          path: "/p",
          query: "q",
          headers: [["host", "other.example"]],
        },
      },
      END,
    ],
  },
  {
    name: "parser gives path / for an absolute-form target with an empty path",
    raw: "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
    events: [{ head: { authority: "example.com", path: "/", query: "" } }, END],
  },
  {
    name: "parser gives path / for an absolute-form target with only a query",
    raw: "GET HTTPS://example.com?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    events: [{ head: { authority: "example.com", path: "/", query: "x=1" } }, END],
  },
  {
    name: "parser accepts asterisk-form with OPTIONS",
    raw: "OPTIONS * HTTP/1.1\r\n" + HOST + "\r\n",
    events: [{ head: { method: "OPTIONS", target: "*", path: "*", query: "" } }, END],
  },
  {
    name: "parser accepts an IPv6 literal Host with a port",
    raw: "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
    events: [{ head: { authority: "[::1]:8080" } }, END],
  },
  {
    name: "parser accepts an empty Host on HTTP/1.1",
    raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n",
    events: [{ head: { authority: "", headers: [["host", ""]] } }, END],
  },

  // Valid requests: field lines.
  {
    name: "parser trims spaces and tabs around header values and keeps inner whitespace",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: \t value  with\tinner \t \r\nX-B:v\r\nX-C: \t \r\n\r\n",
    events: [
      {
        head: {
          headers: [["host", "example.com"], ["x-a", "value  with\tinner"], ["x-b", "v"], ["x-c", ""]],
        },
      },
      END,
    ],
  },
  {
    name: "parser lowercases header names and keeps the case of values",
    raw: "GET / HTTP/1.1\r\nHoSt: Example.COM\r\nX-Mixed-CASE: VaLuE\r\n\r\n",
    events: [
      {
        head: {
          authority: "Example.COM",
          headers: [["host", "Example.COM"], ["x-mixed-case", "VaLuE"]],
          get: { "X-MIXED-CASE": "VaLuE" },
        },
      },
      END,
    ],
  },
  {
    name: "parser keeps obs-text bytes (0x80-0xFF) in a header value as latin1 code units",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-Name: caf\xe9 \x80\xff\r\n\r\n",
    events: [{ head: { headers: [["host", "example.com"], ["x-name", "caf\u00e9 \u0080\u00ff"]] } }, END],
  },
  {
    name: "parser joins duplicate header lines with ', ' in headers.get()",
    raw: "GET / HTTP/1.1\r\n" + HOST + "Accept: a\r\nX-Other: o\r\nAccept: b\r\n\r\n",
    events: [
      {
        head: {
          headers: [["host", "example.com"], ["accept", "a"], ["x-other", "o"], ["accept", "b"]],
          get: { accept: "a, b", "x-other": "o", missing: null },
        },
      },
      END,
    ],
  },
  {
    name: "parser accepts exactly maxHeaderCount field lines",
    raw: headWithFields(3),
    limits: { maxHeaderCount: 3 },
    events: [{ head: { headers: [["host", "x"], ["x-1", "v"], ["x-2", "v"]] } }, END],
  },
  {
    name: "parser accepts a head of exactly maxHeadBytes",
    raw: headOfSize(128),
    limits: { maxRequestLineBytes: 64, maxHeadBytes: 128 },
    events: [{ head: { method: "GET" } }, END],
  },

  // Valid requests: bodies.
  {
    name: "parser reads a Content-Length body",
    raw: post("Content-Length: 5\r\n") + "hello",
    events: [{ head: { method: "POST", framing: "length", contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser passes body bytes through untouched (NUL, 0xFF, CRLF, a request-line)",
    raw: post("Content-Length: 24\r\n") + "\x00\xff\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    events: [{ head: { contentLength: 24 } }, { data: "\x00\xff\r\n\r\nGET / HTTP/1.1\r\n\r\n" }, END],
  },
  {
    name: "parser treats Content-Length: 0 as no body",
    raw: post("Content-Length: 0\r\n"),
    events: [{ head: { framing: "none", contentLength: 0 } }, END],
  },
  {
    name: "parser accepts Content-Length with leading zeros (005)",
    raw: post("Content-Length: 005\r\n") + "hello",
    events: [{ head: { framing: "length", contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser accepts a long Content-Length made of leading zeros (00000000000000000005)",
    raw: post("Content-Length: 00000000000000000005\r\n") + "hello",
    events: [{ head: { framing: "length", contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser accepts a repeated equal Content-Length in one line (5, 5)",
    raw: post("Content-Length: 5, 5\r\n") + "hello",
    events: [{ head: { framing: "length", contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser accepts two equal Content-Length lines",
    raw: post("Content-Length: 5\r\nContent-Length: 5\r\n") + "hello",
    events: [{ head: { framing: "length", contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser accepts a Content-Length of exactly maxBodyBytes",
    raw: post("Content-Length: 5\r\n") + "hello",
    limits: { maxBodyBytes: 5 },
    events: [{ head: { contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser reads a chunked body",
    raw: CHUNKED_POST + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD, { data: "hello world" }, END],
  },
  {
    name: 'parser ignores chunk extensions (5;name=value and 5 ; name="quoted")',
    raw: CHUNKED_POST + '5;name=value\r\nhello\r\n6 ; name="quoted; \\" value"\r\n world\r\n0;last\r\n\r\n',
    events: [CHUNKED_HEAD, { data: "hello world" }, END],
  },
  {
    name: "parser reads chunked trailers",
    raw: CHUNKED_POST + "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: \t V \r\n\r\n",
    events: [CHUNKED_HEAD, { data: "hello" }, { end: [["x-checksum", "abc"], ["x-other", "V"]] }],
  },
  {
    name: "parser keeps obs-text bytes in a trailer value as latin1 code units",
    raw: CHUNKED_POST + "0\r\nX-T: \xe9\r\n\r\n",
    events: [CHUNKED_HEAD, { end: [["x-t", "\u00e9"]] }],
  },
  {
    name: "parser reads uppercase and lowercase hex chunk sizes (A, a)",
    raw: CHUNKED_POST + "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD, { data: "0123456789abcdefghij" }, END],
  },
  {
    name: "parser reads chunk sizes with leading zeros (005, 000)",
    raw: CHUNKED_POST + "005\r\nhello\r\n000\r\n\r\n",
    events: [CHUNKED_HEAD, { data: "hello" }, END],
  },
  {
    name: "parser accepts a chunked body of exactly maxBodyBytes",
    raw: CHUNKED_POST + "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n",
    limits: { maxBodyBytes: 8 },
    events: [CHUNKED_HEAD, { data: "helloabc" }, END],
  },
  {
    name: "parser accepts a chunk-size line well under maxChunkLineBytes",
    raw: CHUNKED_POST + "5;" + "e".repeat(12) + "\r\nhello\r\n0\r\n\r\n", // 15 bytes before CRLF
    limits: { maxChunkLineBytes: 17 },
    events: [CHUNKED_HEAD, { data: "hello" }, END],
  },
  {
    name: "parser matches Transfer-Encoding: CHUNKED case-insensitively",
    raw: "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD, { data: "abc" }, END],
  },
  {
    name: "parser sets expectContinue for Expect: 100-continue on HTTP/1.1",
    raw: post("Expect: 100-continue\r\nContent-Length: 5\r\n") + "hello",
    events: [{ head: { expectContinue: true, contentLength: 5 } }, { data: "hello" }, END],
  },
  {
    name: "parser matches Expect: 100-Continue case-insensitively",
    raw: post("Expect: 100-Continue\r\nContent-Length: 0\r\n"),
    events: [{ head: { expectContinue: true } }, END],
  },
  {
    name: "parser ignores Expect on HTTP/1.0, even an unknown expectation",
    raw: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nExpect: something-else\r\nContent-Length: 2\r\n\r\nhi",
    events: [{ head: { minorVersion: 0, expectContinue: false } }, { data: "hi" }, END],
  },

  // Valid requests: several messages on one connection.
  {
    name: "parser returns pipelined GET, POST with body and GET in order",
    raw: "GET /a HTTP/1.1\r\n" + HOST + "\r\n" +
      post("Content-Length: 5\r\n") + "hello" +
      "GET /c?x HTTP/1.1\r\n" + HOST + "\r\n",
    events: [
      { head: { method: "GET", path: "/a", framing: "none" } },
      END,
      { head: { method: "POST", path: "/", framing: "length", contentLength: 5 } },
      { data: "hello" },
      END,
      { head: { method: "GET", path: "/c", query: "x" } },
      END,
    ],
  },
  {
    name: "parser skips an empty line between pipelined requests",
    raw: post("Content-Length: 2\r\n") + "hi\r\n" + GET,
    events: [{ head: { method: "POST" } }, { data: "hi" }, END, { head: { method: "GET" } }, END],
  },
  {
    name: "parser reads a request that follows a chunked body on the same connection",
    raw: CHUNKED_POST + "5\r\nhello\r\n0\r\n\r\n" + "GET /next HTTP/1.1\r\n" + HOST + "\r\n",
    events: [CHUNKED_HEAD, { data: "hello" }, END, { head: { method: "GET", path: "/next" } }, END],
  },
  {
    name: "parser reads a request that follows chunked trailers on the same connection",
    raw: CHUNKED_POST + "0\r\nX-T: 1\r\n\r\n" + "GET /next HTTP/1.1\r\n" + HOST + "\r\n",
    events: [CHUNKED_HEAD, { end: [["x-t", "1"]] }, { head: { method: "GET", path: "/next" } }, END],
  },
  {
    name: "parser waits for more bytes after a partial head",
    raw: "GET / HTTP/1.1\r\nHost: exa",
    events: [],
    idle: false,
  },

  // Request-line errors.
  {
    name: "parser rejects more than 8 empty lines before the request-line",
    raw: "\r\n".repeat(9) + GET,
    error: { status: 400, message: "too many empty lines" },
  },
  {
    name: "parser rejects a bare LF before the request-line",
    raw: "\n" + GET,
    error: { status: 400, message: "invalid request-line" },
  },
  {
    name: "parser rejects whitespace before the method",
    raw: " " + GET,
    error: { status: 400, message: "invalid request-line" },
  },
  {
    name: "parser rejects a lowercase version (http/1.1)",
    raw: "GET / http/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid HTTP version" },
  },
  {
    name: "parser answers 505 to HTTP/2.0",
    raw: "GET / HTTP/2.0\r\n" + HOST + "\r\n",
    error: { status: 505 },
  },
  {
    name: "parser answers 505 to HTTP/0.9",
    raw: "GET / HTTP/0.9\r\n" + HOST + "\r\n",
    error: { status: 505 },
  },
  {
    name: "parser rejects bytes after the version (HTTP/1.1x)",
    raw: "GET / HTTP/1.1x\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid HTTP version" },
  },
  {
    name: "parser rejects a two-digit version (HTTP/11.1)",
    raw: "GET / HTTP/11.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid HTTP version" },
  },
  {
    name: "parser rejects a malformed version of the right length (HTTPS1.1)",
    raw: "GET / HTTPS1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid HTTP version" },
  },
  {
    name: "parser rejects a request-line without a version",
    raw: "GET /\r\n" + HOST + "\r\n",
    error: { status: 400 },
  },
  {
    name: "parser rejects an empty version after the target",
    raw: "GET / \r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid HTTP version" },
  },
  {
    name: "parser rejects two spaces between method and target",
    raw: "GET  / HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects two spaces between target and version",
    raw: "GET /  HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400 },
  },
  {
    name: "parser rejects an empty target",
    raw: "GET  HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects a tab between method and target",
    raw: "GET\t/ HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid method" },
  },
  {
    name: "parser rejects a tab between target and version",
    raw: "GET /\tHTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects a request-line ending in a bare LF",
    raw: "GET / HTTP/1.1\n" + HOST + "\r\n",
    error: { status: 400 },
  },
  {
    name: "parser rejects a request-line ending in a bare CR",
    raw: "GET / HTTP/1.1\rHost: example.com\r\n\r\n",
    error: { status: 400, message: "request-line must end with CRLF" },
  },
  {
    name: "parser rejects a control byte in the target",
    raw: "GET /a\x01b HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects DEL in the target",
    raw: "GET /a\x7fb HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects a space inside the target",
    raw: "GET /a b HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400 },
  },
  {
    name: "parser rejects a non-ASCII byte in the target",
    raw: "GET /caf\xe9 HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects a fragment (#) in the target",
    raw: "GET /p#frag HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects asterisk-form with GET",
    raw: "GET * HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "asterisk-form" },
  },
  {
    name: "parser rejects authority-form (example.com:443) with GET",
    raw: "GET example.com:443 HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser answers 501 to CONNECT",
    raw: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    error: { status: 501 },
  },
  {
    name: "parser rejects an absolute-form target with userinfo",
    raw: "GET http://user@example.com/ HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid authority in request-target" },
  },
  {
    name: "parser rejects an absolute-form target with an empty authority",
    raw: "GET http:///p HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid authority in request-target" },
  },
  {
    name: "parser rejects an absolute-form target with a non-http scheme",
    raw: "GET ftp://example.com/ HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid request-target" },
  },
  {
    name: "parser rejects a method longer than 32 bytes",
    raw: "M".repeat(33) + " / HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "method too long" },
  },
  {
    name: "parser rejects a method that is not a token",
    raw: "GE@T / HTTP/1.1\r\n" + HOST + "\r\n",
    error: { status: 400, message: "invalid method" },
  },
  {
    name: "parser answers 414 to a request-line one byte over maxRequestLineBytes",
    raw: requestLineOf(65) + "\r\nHost: x\r\n\r\n",
    limits: { maxRequestLineBytes: 64 },
    error: { status: 414 },
  },
  {
    name: "parser answers 414 to a target that alone exceeds maxRequestLineBytes",
    raw: "GET /" + "a".repeat(100) + " HTTP/1.1\r\nHost: x\r\n\r\n",
    limits: { maxRequestLineBytes: 64 },
    error: { status: 414, message: "request-target too long" },
  },

  // Header errors.
  {
    name: "parser rejects whitespace between a field name and the colon (Host : x)",
    raw: "GET / HTTP/1.1\r\nHost : example.com\r\n\r\n",
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser rejects obs-fold (a field line starting with a space)",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: a\r\n b\r\n\r\n",
    error: { status: 400, message: "obsolete line folding" },
  },
  {
    name: "parser rejects obs-fold (a field line starting with a tab)",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: a\r\n\tb\r\n\r\n",
    error: { status: 400, message: "obsolete line folding" },
  },
  {
    name: "parser rejects a whitespace line between the request-line and the first header",
    raw: "GET / HTTP/1.1\r\n \r\n" + HOST + "\r\n",
    error: { status: 400 },
  },
  {
    name: "parser rejects NUL in a header value",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: a\x00b\r\n\r\n",
    error: { status: 400, message: "invalid character in header field value" },
  },
  {
    name: "parser rejects a bare CR in a header value",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: a\rb\r\n\r\n",
    error: { status: 400, message: "header line must end with CRLF" },
  },
  {
    name: "parser rejects a bare LF in a header value",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: a\nb\r\n\r\n",
    error: { status: 400, message: "invalid character in header field value" },
  },
  {
    name: "parser rejects DEL in a header value",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A: a\x7fb\r\n\r\n",
    error: { status: 400, message: "invalid character in header field value" },
  },
  {
    name: "parser rejects a header section ending in a bare LF",
    raw: "GET / HTTP/1.1\r\n" + HOST + "\n",
    error: { status: 400 },
  },
  {
    name: "parser rejects a header section ending in CR without LF",
    raw: "GET / HTTP/1.1\r\n" + HOST + "\rX",
    error: { status: 400, message: "header section must end with CRLF" },
  },
  {
    name: "parser rejects a non-token field name (Fo@o)",
    raw: "GET / HTTP/1.1\r\n" + HOST + "Fo@o: x\r\n\r\n",
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser rejects an empty field name (:x)",
    raw: "GET / HTTP/1.1\r\n" + HOST + ":x\r\n\r\n",
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser rejects a field line without a colon",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-A\r\n\r\n",
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser rejects a non-ASCII byte in a field name",
    raw: "GET / HTTP/1.1\r\n" + HOST + "X-\xe9: x\r\n\r\n",
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser rejects HTTP/1.1 without Host",
    raw: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
    error: { status: 400, message: "missing Host header" },
  },
  {
    name: "parser rejects two Host lines",
    raw: "GET / HTTP/1.1\r\n" + HOST + HOST + "\r\n",
    error: { status: 400, message: "more than one Host header" },
  },
  ...["a b", "host:port:x", "host:99999", "[zz]", "user@host", "[::1", "caf\xe9"].map((host): Fixture => ({
    name: `parser rejects an invalid Host (${JSON.stringify(host)})`,
    raw: `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    error: { status: 400, message: "invalid Host header" },
  })),
  {
    name: "parser answers 431 to a head one byte over maxHeadBytes",
    raw: headOfSize(129),
    limits: { maxRequestLineBytes: 64, maxHeadBytes: 128 },
    error: { status: 431, message: "request head too large" },
  },
  {
    name: "parser answers 431 to a request-line that fills maxHeadBytes",
    raw: requestLineOf(64) + "\r\nHost: x\r\n\r\n",
    limits: { maxRequestLineBytes: 64, maxHeadBytes: 64 },
    error: { status: 431, message: "request head too large" },
  },
  {
    name: "parser answers 431 to one field line more than maxHeaderCount",
    raw: headWithFields(4),
    limits: { maxHeaderCount: 3 },
    error: { status: 431, message: "too many header fields" },
  },

  // Framing and smuggling shapes.
  {
    name: "parser rejects Content-Length with Transfer-Encoding (CL.TE)",
    raw: post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n",
    error: { status: 400, message: "both Transfer-Encoding and Content-Length" },
  },
  {
    name: "parser rejects Transfer-Encoding with Content-Length (TE.CL)",
    raw: post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n",
    error: { status: 400, message: "both Transfer-Encoding and Content-Length" },
  },
  {
    name: "parser rejects Transfer-Encoding on HTTP/1.0",
    raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    error: { status: 400, message: "Transfer-Encoding in an HTTP/1.0 request" },
  },
  ...([
    ["chunked, identity", "chunked must be the final transfer coding"],
    ["identity", "chunked must be the final transfer coding"],
    ["xchunked", "chunked must be the final transfer coding"],
    ["chunked;x=1", "invalid Transfer-Encoding"],
    ["chunked, chunked", "chunked must be the final transfer coding"],
    ["chunked,", "invalid Transfer-Encoding"],
    [", chunked", "invalid Transfer-Encoding"],
    ["", "invalid Transfer-Encoding"],
  ] as const).map(([te, message]): Fixture => ({
    name: `parser rejects Transfer-Encoding: ${JSON.stringify(te)}`,
    raw: post(`Transfer-Encoding: ${te}\r\n`) + "0\r\n\r\n",
    error: { status: 400, message },
  })),
  {
    name: "parser answers 501 to Transfer-Encoding: gzip, chunked",
    raw: post("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n",
    error: { status: 501 },
  },
  {
    name: "parser rejects two Transfer-Encoding lines chunked then x",
    raw: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n") + "0\r\n\r\n",
    error: { status: 400, message: "chunked must be the final transfer coding" },
  },
  {
    name: "parser rejects Transfer-Encoding with a space before the colon",
    raw: post("Transfer-Encoding : chunked\r\n") + "0\r\n\r\n",
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser rejects Transfer-Encoding with a vertical tab before the value",
    raw: post("Transfer-Encoding:\x0bchunked\r\n") + "0\r\n\r\n",
    error: { status: 400, message: "invalid character in header field value" },
  },
  ...["+5", "-1", "0x5", "1 2", "", "5,", "5.0"].map((cl): Fixture => ({
    name: `parser rejects Content-Length: ${JSON.stringify(cl)}`,
    raw: post(`Content-Length: ${cl}\r\n`) + "hello",
    error: { status: 400, message: "invalid Content-Length" },
  })),
  {
    name: "parser rejects conflicting Content-Length values in one line (5, 6)",
    raw: post("Content-Length: 5, 6\r\n") + "hello!",
    error: { status: 400, message: "conflicting Content-Length values" },
  },
  {
    name: "parser rejects conflicting Content-Length lines (5 then 6)",
    raw: post("Content-Length: 5\r\nContent-Length: 6\r\n") + "hello!",
    error: { status: 400, message: "conflicting Content-Length values" },
  },
  {
    name: "parser answers 413 to a Content-Length one byte over maxBodyBytes",
    raw: post("Content-Length: 6\r\n") + "hello!",
    limits: { maxBodyBytes: 5 },
    error: { status: 413 },
  },
  {
    name: "parser answers 413 to a Content-Length of 30 digits",
    raw: post(`Content-Length: ${"9".repeat(30)}\r\n`),
    error: { status: 413 },
  },
  ...["g", "0x5", "-1", " 5", ";x"].map((size): Fixture => ({
    name: `parser rejects the chunk size ${JSON.stringify(size)}`,
    raw: CHUNKED_POST + size + "\r\nhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "invalid chunk size" },
  })),
  {
    name: "parser rejects whitespace after a chunk size without an extension (5 \\r\\n)",
    raw: CHUNKED_POST + "5 \r\nhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "invalid chunk size" },
  },
  {
    name: "parser rejects a bare LF after a chunk size",
    raw: CHUNKED_POST + "5\nhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "invalid chunk size" },
  },
  {
    name: "parser rejects a bare CR after a chunk size",
    raw: CHUNKED_POST + "5\rhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "chunk size line must end with CRLF" },
  },
  {
    name: "parser rejects chunk data not followed by CRLF (5\\r\\nhelloX)",
    raw: CHUNKED_POST + "5\r\nhelloX\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD, { data: "hello" }],
    error: { status: 400, message: "chunk data must end with CRLF" },
  },
  {
    name: "parser rejects chunk data followed by CR without LF",
    raw: CHUNKED_POST + "5\r\nhello\rX0\r\n\r\n",
    events: [CHUNKED_HEAD, { data: "hello" }],
    error: { status: 400, message: "chunk data must end with CRLF" },
  },
  {
    name: "parser rejects a control byte in a chunk extension",
    raw: CHUNKED_POST + "5;a\x01b\r\nhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "invalid chunk extension" },
  },
  {
    name: "parser rejects a bare LF in a chunk extension",
    raw: CHUNKED_POST + "5;a\nhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "invalid chunk extension" },
  },
  {
    name: "parser answers 413 at the chunk-size line when a chunked body grows past maxBodyBytes",
    // The raw bytes stop at the size digit: the error must not wait for the chunk data.
    raw: CHUNKED_POST + "5\r\nhello\r\n4",
    limits: { maxBodyBytes: 8 },
    events: [CHUNKED_HEAD, { data: "hello" }],
    error: { status: 413 },
  },
  {
    name: "parser answers 413 to a single huge chunk size",
    raw: CHUNKED_POST + "fffffffffffffffffffff\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 413 },
  },
  {
    name: "parser rejects a chunk-size line longer than maxChunkLineBytes",
    raw: CHUNKED_POST + "5;" + "e".repeat(16) + "\r\nhello\r\n0\r\n\r\n", // 18 bytes before CRLF
    limits: { maxChunkLineBytes: 17 },
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "chunk size line too long" },
  },
  {
    name: "parser rejects endless leading zeros in a chunk size",
    raw: CHUNKED_POST + "0".repeat(2000) + "5\r\nhello\r\n0\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "chunk size line too long" },
  },
  {
    name: "parser rejects obs-fold in a trailer",
    raw: CHUNKED_POST + "0\r\nX-T: a\r\n b\r\n\r\n",
    events: [CHUNKED_HEAD],
    error: { status: 400, message: "obsolete line folding" },
  },
  {
    name: "parser answers 431 to a trailer section over maxTrailerBytes",
    raw: CHUNKED_POST + "0\r\nX-T: " + "t".repeat(64) + "\r\n\r\n",
    limits: { maxTrailerBytes: 32 },
    events: [CHUNKED_HEAD],
    error: { status: 431, message: "trailer section too large" },
  },
  {
    name: "parser answers 417 to an unknown expectation",
    raw: post("Expect: 100-continue-please\r\nContent-Length: 0\r\n"),
    error: { status: 417 },
  },
  {
    name: "parser returns a valid pipelined request before rejecting the next one",
    raw: GET + "GET / HTTP/1.1\r\nHost : example.com\r\n\r\n",
    events: [{ head: { method: "GET" } }, END],
    error: { status: 400, message: "invalid header field name" },
  },
  {
    name: "parser returns a pipelined body before rejecting a smuggled request",
    raw: post("Content-Length: 5\r\n") + "hello" + post("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n"),
    events: [{ head: { contentLength: 5 } }, { data: "hello" }, END],
    error: { status: 400, message: "both Transfer-Encoding and Content-Length" },
  },
  // Repeat-head fast path: identical heads on one connection are recognised by their bytes.
  {
    name: "parser gives identical repeated heads the same meaning",
    raw: GET + GET + GET,
    events: [{ head: { method: "GET", path: "/" } }, END, { head: { method: "GET", path: "/" } }, END, {
      head: { method: "GET", path: "/" },
    }, END],
  },
  {
    name: "parser re-reads a head that differs from the previous one in a single byte",
    raw: "GET /a HTTP/1.1\r\nHost: example.com\r\nX-Id: 1\r\n\r\n" +
      "GET /a HTTP/1.1\r\nHost: example.com\r\nX-Id: 2\r\n\r\n",
    events: [
      { head: { get: { "x-id": "1" } } },
      END,
      { head: { get: { "x-id": "2" } } },
      END,
    ],
  },
  {
    name: "parser re-reads a head whose field names differ only in case",
    raw: "GET / HTTP/1.1\r\nHost: example.com\r\nX-Id: 1\r\n\r\n" +
      "GET / HTTP/1.1\r\nHost: example.com\r\nx-iD: 1\r\n\r\n",
    events: [
      { head: { headers: [["host", "example.com"], ["x-id", "1"]] } },
      END,
      { head: { headers: [["host", "example.com"], ["x-id", "1"]] } },
      END,
    ],
  },
  {
    name: "parser reads each body of repeated POST heads",
    raw: "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc" +
      "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nxyz",
    events: [
      { head: { framing: "length", contentLength: 3 } },
      { data: "abc" },
      END,
      { head: { framing: "length", contentLength: 3 } },
      { data: "xyz" },
      END,
    ],
  },
  {
    name: "parser still refuses a bad request that starts like the previous head",
    raw: GET + "GET / HTTP/1.1\r\nHost: example.com\r\n\n",
    events: [{ head: { method: "GET" } }, END],
    error: { status: 400 },
  },
];

// ── Runner ───────────────────────────────────────────────────────────────────

type ActualEvent = { head: RequestHead } | { data: string } | { end: [string, string][] | null };

interface Outcome {
  events: ActualEvent[];
  error: { status: number; message: string } | null;
  idle: boolean;
}

type Feeder = (parser: RequestParser, chunk: Uint8Array) => void;

const RANDOM_SPLIT_SEEDS = 8;
const MAX_EVENTS_PER_DRAIN = 100_000;

/** One byte per char; the fixture strings must stay within 0x00–0xFF. */
function latin1Bytes(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error(`fixture char ${c.toString(16)} at ${i} is not a byte`);
    bytes[i] = c;
  }
  return bytes;
}

function latin1String(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** mulberry32: a small deterministic PRNG returning [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the fixture name, so that every fixture gets its own seeds. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Chunks of mostly small, sometimes large and occasionally zero size. */
function randomSplit(bytes: Uint8Array, random: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const r = random();
    const size = r < 0.05 ? 0 : 1 + Math.floor(random() * (r < 0.6 ? 4 : r < 0.9 ? 32 : bytes.length));
    chunks.push(bytes.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

const feedAtOnce: Feeder = (parser, chunk) => parser.feed(chunk);

/** Writes through reserve()/commit(), reserving more than needed at random to exercise compaction and growth. */
function reserveAndCommit(random: () => number): Feeder {
  return (parser, chunk) => {
    const extra = random() < 0.1 ? 32 * 1024 : Math.floor(random() * 64);
    const region = parser.reserve(chunk.length + extra);
    assert.ok(region.length >= chunk.length + extra, "reserve() returned a region smaller than asked");
    region.set(chunk);
    parser.commit(chunk.length);
  };
}

/** Calls next() until NEED_DATA, collecting events; returns the ProtocolError that stopped it, if any. */
function drain(parser: RequestParser, events: ActualEvent[]): ProtocolError | null {
  for (let n = 0; n < MAX_EVENTS_PER_DRAIN; n++) {
    let event;
    try {
      event = parser.next();
    } catch (error) {
      if (error instanceof ProtocolError) return error;
      throw error;
    }
    if (event === NEED_DATA) return null;
    if (event.type === "head") {
      events.push({ head: event.head });
    } else if (event.type === "data") {
      // Data is a view into the parser's buffer, valid until the next feed: copy it now.
      const text = latin1String(event.bytes);
      const last = events.at(-1);
      if (last !== undefined && "data" in last) last.data += text;
      else events.push({ data: text });
    } else if (event.type === "end") {
      events.push({ end: event.trailers === null ? null : [...event.trailers] });
    } else {
      throw new Error(`unexpected event ${JSON.stringify(event)}`);
    }
  }
  throw new Error(`next() returned more than ${MAX_EVENTS_PER_DRAIN} events without NEED_DATA`);
}

/** Feeds the chunks in order, draining after each, and checks that an error is sticky. */
function run(fixture: Fixture, chunks: Uint8Array[], feed: Feeder, label: string): Outcome {
  const parser = new RequestParser(fixture.limits);
  const events: ActualEvent[] = [];
  for (const chunk of chunks) {
    feed(parser, chunk);
    const error = drain(parser, events);
    if (error !== null) {
      const sticky = (again: unknown) =>
        again instanceof ProtocolError && again.status === error.status && again.message === error.message;
      assert.throws(() => parser.next(), sticky, `${label}: the error must be thrown again by next()`);
      parser.feed(latin1Bytes(GET));
      assert.throws(() => parser.next(), sticky, `${label}: the error must survive more input`);
      return { events, error: { status: error.status, message: error.message }, idle: parser.isIdle };
    }
  }
  return { events, error: null, idle: parser.isIdle };
}

/** Every observable part of a head, as plain data. */
function describeHead(head: RequestHead): Required<Omit<ExpectedHead, "get">> {
  const { method, target, path, query, authority, minorVersion, keepAlive, expectContinue, framing, contentLength } =
    head;
  return {
    method,
    target,
    path,
    query,
    authority,
    minorVersion,
    keepAlive,
    expectContinue,
    framing,
    contentLength,
    headers: [...head.headers],
  };
}

/** The actual events as plain data, heads reduced to the keys the expectation names (all keys if none). */
function describeEvents(events: ActualEvent[], expected: ExpectedEvent[] | null): unknown[] {
  return events.map((event, index) => {
    if (!("head" in event)) return event;
    const full: Record<string, unknown> = describeHead(event.head);
    const want = expected?.[index];
    if (want === undefined || !("head" in want)) return { head: full };
    const picked: Record<string, unknown> = {};
    for (const key of Object.keys(want.head)) {
      if (key === "get") {
        picked.get = Object.fromEntries(
          Object.keys(want.head.get!).map((name) => [name, event.head.headers.get(name)]),
        );
      } else {
        picked[key] = full[key];
      }
    }
    return { head: picked };
  });
}

function checkAgainstFixture(fixture: Fixture, outcome: Outcome, label: string): void {
  const expectedEvents = fixture.events ?? [];
  const ending = outcome.error === null ? "no error" : `${outcome.error.status} "${outcome.error.message}"`;
  assert.deepEqual(
    describeEvents(outcome.events, expectedEvents),
    expectedEvents,
    `${label}: events (the input ended with ${ending})`,
  );
  if (fixture.error === undefined) {
    assert.equal(outcome.error, null, `${label}: unexpected error ${JSON.stringify(outcome.error)}`);
    assert.equal(outcome.idle, fixture.idle ?? true, `${label}: isIdle after the input`);
    return;
  }
  assert.ok(outcome.error !== null, `${label}: expected error ${fixture.error.status}, got none (parser waits)`);
  assert.equal(outcome.error.status, fixture.error.status, `${label}: status of "${outcome.error.message}"`);
  if (fixture.error.message !== undefined) {
    assert.ok(
      outcome.error.message.includes(fixture.error.message),
      `${label}: message "${outcome.error.message}" should contain "${fixture.error.message}"`,
    );
  }
}

/** The same outcome as another feeding mode, compared in full (every head key, exact error message). */
function checkSameOutcome(outcome: Outcome, reference: Outcome, label: string): void {
  const describe = (o: Outcome) => ({ events: describeEvents(o.events, null), error: o.error, idle: o.idle });
  assert.deepEqual(describe(outcome), describe(reference), `${label}: differs from feeding all bytes at once`);
}

function testFixture(fixture: Fixture): void {
  const bytes = latin1Bytes(fixture.raw);

  const whole = run(fixture, [bytes], feedAtOnce, "all at once");
  checkAgainstFixture(fixture, whole, "all at once");

  const bytewise = [...bytes].map((_, i) => bytes.subarray(i, i + 1));
  const oneByOne = run(fixture, bytewise, feedAtOnce, "one byte at a time");
  checkAgainstFixture(fixture, oneByOne, "one byte at a time");
  checkSameOutcome(oneByOne, whole, "one byte at a time");

  for (let k = 0; k < RANDOM_SPLIT_SEEDS; k++) {
    const seed = (hashName(fixture.name) + k * 0x9e3779b9) >>> 0;
    const random = prng(seed);
    const chunks = randomSplit(bytes, random);
    const label = `random splits via reserve()/commit(), seed 0x${seed.toString(16)} (sizes ${
      chunks.map((c) => c.length).join(",")
    })`;
    const split = run(fixture, chunks, reserveAndCommit(random), label);
    checkAgainstFixture(fixture, split, label);
    checkSameOutcome(split, whole, label);
  }
}

for (const fixture of FIXTURES) {
  Deno.test(fixture.name, () => testFixture(fixture));
}

Deno.test("parser fixture names are unique", () => {
  const names = FIXTURES.map((f) => f.name);
  assert.deepEqual(names.filter((name, i) => names.indexOf(name) !== i), []);
});

// ── State helpers and buffering ──────────────────────────────────────────────

function feedString(parser: RequestParser, s: string): void {
  parser.feed(latin1Bytes(s));
}

Deno.test("parser isIdle is true before any bytes and after a complete GET's end event", () => {
  const parser = new RequestParser();
  assert.equal(parser.isIdle, true);
  assert.equal(parser.isReceivingHead, false);
  assert.equal(parser.bufferedBytes, 0);
  assert.equal(parser.next(), NEED_DATA);

  feedString(parser, GET);
  assert.equal(parser.isIdle, false);
  assert.equal(parser.next().type, "head");
  assert.equal(parser.isIdle, false, "not idle until the end event is taken");
  assert.equal(parser.next().type, "end");
  assert.equal(parser.isIdle, true);
  assert.equal(parser.bufferedBytes, 0);
  assert.equal(parser.next(), NEED_DATA);
});

Deno.test("parser isReceivingHead is true after a partial head, and bufferedBytes counts it", () => {
  const parser = new RequestParser();
  feedString(parser, "GET / HT");
  assert.equal(parser.next(), NEED_DATA);
  assert.equal(parser.isReceivingHead, true);
  assert.equal(parser.isIdle, false);
  assert.equal(parser.bufferedBytes, 8);

  feedString(parser, "TP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(parser.next().type, "head");
  assert.equal(parser.isReceivingHead, false);
  assert.equal(parser.bufferedBytes, 0);
});

Deno.test("parser isReceivingHead is true after only leading empty lines", () => {
  const parser = new RequestParser();
  feedString(parser, "\r\n");
  assert.equal(parser.next(), NEED_DATA);
  assert.equal(parser.isReceivingHead, true);
  assert.equal(parser.isIdle, false);
});

Deno.test("parser isReceivingHead is false while a body is being received", () => {
  const parser = new RequestParser();
  feedString(parser, post("Content-Length: 5\r\n") + "he");
  assert.equal(parser.next().type, "head");
  assert.equal(parser.isReceivingHead, false);
  assert.equal(parser.isIdle, false);
  assert.equal(parser.bufferedBytes, 2);
});

Deno.test("parser data event bytes equal the Content-Length body", () => {
  const parser = new RequestParser();
  const body = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
  parser.feed(latin1Bytes(post("Content-Length: 300\r\n")));
  parser.feed(body);
  assert.equal(parser.next().type, "head");
  const data = parser.next();
  assert.ok(data.type === "data");
  assert.deepEqual(data.bytes, body);
  assert.equal(parser.next().type, "end");
});

Deno.test("parser yields every byte of a Content-Length body split across feeds", () => {
  const parser = new RequestParser();
  feedString(parser, post("Content-Length: 11\r\n") + "hel");
  assert.equal(parser.next().type, "head");
  const received: string[] = [];
  const take = () => {
    for (let event = parser.next(); event !== NEED_DATA; event = parser.next()) {
      if (event.type === "data") received.push(latin1String(event.bytes));
      else received.push(`<${event.type}>`);
    }
  };
  take();
  assert.equal(parser.bufferedBytes, 0);
  feedString(parser, "lo w");
  take();
  feedString(parser, "orld");
  take();
  assert.deepEqual(received, ["hel", "lo w", "orld", "<end>"]);
  assert.equal(parser.isIdle, true);
});

Deno.test("parser reads a request after a body in the same buffer without losing or re-reading bytes", () => {
  const parser = new RequestParser();
  const second = "GET /second HTTP/1.1\r\n" + HOST + "\r\n";
  feedString(parser, post("Content-Length: 5\r\n") + "hello" + second);
  assert.equal(parser.next().type, "head");
  const data = parser.next();
  assert.ok(data.type === "data");
  assert.equal(latin1String(data.bytes), "hello");
  assert.equal(parser.bufferedBytes, second.length, "exactly the second request stays buffered");
  assert.equal(parser.next().type, "end");
  const head = parser.next();
  assert.ok(head.type === "head");
  assert.equal(head.head.path, "/second");
  assert.equal(parser.next().type, "end");
  assert.equal(parser.bufferedBytes, 0);
  assert.equal(parser.next(), NEED_DATA);
});

Deno.test("parser keeps a partial head across reserve() growth and compaction", () => {
  const parser = new RequestParser();
  const pad = "p".repeat(10_000);
  feedString(parser, GET); // consumed below, so the next head starts mid-buffer
  assert.equal(parser.next().type, "head");
  assert.equal(parser.next().type, "end");
  feedString(parser, `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${pad}`);
  assert.equal(parser.next(), NEED_DATA);
  const region = parser.reserve(40_000); // larger than the initial buffer: forces growth
  region.set(latin1Bytes("\r\n\r\n"));
  parser.commit(4);
  const head = parser.next();
  assert.ok(head.type === "head");
  assert.equal(head.head.headers.get("x-pad"), pad);
});

Deno.test("parser refuses commit() beyond the reserved region", () => {
  const parser = new RequestParser();
  const region = parser.reserve(16);
  assert.throws(() => parser.commit(region.length + 1), ParserUsageError);
  assert.throws(() => parser.commit(-1), ParserUsageError);
});

Deno.test("parser refuses maxRequestLineBytes below 64 or above maxHeadBytes", () => {
  assert.throws(() => new RequestParser({ maxRequestLineBytes: 63 }), ParserUsageError);
  assert.throws(() => new RequestParser({ maxRequestLineBytes: 200, maxHeadBytes: 100 }), ParserUsageError);
});
