/**
 * The meaning of a request head: target form, version, Host, body framing,
 * persistence and expectations (RFC 9112 §3, §6, §9.3; RFC 9110 §7.2, §10.1.1).
 *
 * The lexer in parser.ts has already checked the byte-level grammar; this module
 * applies the rules that need the whole head.
 */
import { ProtocolError } from "./errors.ts";
import { type FieldList, splitList } from "./fields.ts";
import { REG_NAME, TOKEN } from "./chars.ts";
import type { ParserLimits } from "./limits.ts";

/** How the request body is delimited. */
export type BodyFraming = "none" | "length" | "chunked";

export interface RequestHead {
  /** Case-sensitive method token, e.g. "GET". */
  readonly method: string;
  /** The request-target exactly as received. */
  readonly target: string;
  /** Path of the target (starts with "/"), or "*" for asterisk-form. Not percent-decoded. */
  readonly path: string;
  /** Query of the target without the "?" ("" when absent). Not percent-decoded. */
  readonly query: string;
  /** host[:port] from an absolute-form target, else from Host ("" when neither). */
  readonly authority: string;
  /** Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x, answered as 1.1). */
  readonly minorVersion: 0 | 1;
  readonly headers: FieldList;
  /** Whether the client allows the connection to stay open after this exchange. */
  readonly keepAlive: boolean;
  /** The client waits for "100 Continue" before sending the body (HTTP/1.1 only). */
  readonly expectContinue: boolean;
  readonly framing: BodyFraming;
  /** Declared body length for "length" framing, 0 for "none", -1 for "chunked". */
  readonly contentLength: number;
}

/**
 * The pieces the lexer found, before interpretation. The fields that decide framing are
 * collected while the field list is built (repeated lines joined with ", "), so that
 * interpretation needs no lookups.
 */
export interface RawHead {
  method: string;
  target: string;
  version: string;
  headers: FieldList;
  host: string | null;
  hostCount: number;
  contentLength: string | null;
  transferEncoding: string | null;
  connection: string | null;
  expect: string | null;
}

export function interpretHead(raw: RawHead, limits: ParserLimits): RequestHead {
  const minorVersion = parseVersion(raw.version);
  const { method, target, host } = raw;

  if (method === "CONNECT") throw new ProtocolError(501, "CONNECT is not supported");
  const form = parseTarget(method, target);

  if (raw.hostCount > 1) throw new ProtocolError(400, "more than one Host header");
  if (minorVersion === 1 && host === null) throw new ProtocolError(400, "missing Host header");
  if (host !== null && !isValidAuthority(host)) throw new ProtocolError(400, "invalid Host header");

  const { framing, contentLength } = decideFraming(raw, minorVersion, limits);
  const keepAlive = decideKeepAlive(raw.connection, minorVersion);
  const expectContinue = decideExpectation(raw.expect, minorVersion);

  return {
    method,
    target,
    path: form.path,
    query: form.query,
    // An absolute-form target's authority wins over Host (RFC 9112 §3.2.2).
    authority: form.authority ?? host ?? "",
    minorVersion,
    headers: raw.headers,
    keepAlive,
    expectContinue,
    framing,
    contentLength,
  };
}

/** "HTTP/1.1" → 1, "HTTP/1.0" → 0, other HTTP/1.x → 1, other majors → 505, garbage → 400. */
function parseVersion(version: string): 0 | 1 {
  if (version === "HTTP/1.1") return 1;
  if (version === "HTTP/1.0") return 0;
  if (!/^HTTP\/[0-9]\.[0-9]$/.test(version)) throw new ProtocolError(400, "invalid HTTP version");
  if (version[5] !== "1") throw new ProtocolError(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  return 1;
}

interface TargetForm {
  path: string;
  query: string;
  authority: string | null;
}

function parseTarget(method: string, target: string): TargetForm {
  const first = target.charCodeAt(0);
  if (first === 0x2f /* "/" */) return splitPathAndQuery(target, null);
  if (target === "*") {
    if (method !== "OPTIONS") throw new ProtocolError(400, "asterisk-form is only allowed with OPTIONS");
    return { path: "*", query: "", authority: null };
  }
  const absolute = /^(https?):\/\/([^/?]*)(.*)$/i.exec(target);
  if (absolute === null) throw new ProtocolError(400, "invalid request-target");
  const authority = absolute[2];
  // RFC 9110 §4.2.4: userinfo is not allowed in http(s) URIs; it also smuggles credentials.
  if (authority.includes("@") || !isValidAuthority(authority) || authority === "") {
    throw new ProtocolError(400, "invalid authority in request-target");
  }
  const rest = absolute[3];
  return splitPathAndQuery(rest === "" || rest[0] === "?" ? `/${rest}` : rest, authority);
}

function splitPathAndQuery(pathAndQuery: string, authority: string | null): TargetForm {
  const q = pathAndQuery.indexOf("?");
  if (q === -1) return { path: pathAndQuery, query: "", authority };
  return { path: pathAndQuery.slice(0, q), query: pathAndQuery.slice(q + 1), authority };
}

/** The last authority found valid: clients send the same Host on every request. */
let lastValidAuthority = "";

/** uri-host [ ":" port ], where uri-host is an IP-literal, IPv4 address or reg-name. */
export function isValidAuthority(value: string): boolean {
  if (value === lastValidAuthority) return true;
  if (!checkAuthority(value)) return false;
  lastValidAuthority = value;
  return true;
}

function checkAuthority(value: string): boolean {
  let i = 0;
  const n = value.length;
  if (value.charCodeAt(0) === 0x5b /* "[" */) {
    const close = value.indexOf("]");
    if (close < 2 || !/^[0-9A-Fa-f:.]+$|^v[0-9A-Fa-f]+\.[\w.~!$&'()*+,;=:-]+$/.test(value.slice(1, close))) {
      return false;
    }
    i = close + 1;
  } else {
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 0x3a /* ":" */) break;
      if (c > 0xff || REG_NAME[c] !== 1) return false;
      i++;
    }
    if (!isValidPercentEncoding(value.slice(0, i))) return false;
  }
  if (i === n) return true;
  if (value.charCodeAt(i) !== 0x3a) return false;
  const port = value.slice(i + 1);
  return port === "" || (/^[0-9]{1,5}$/.test(port) && Number(port) <= 65535);
}

function isValidPercentEncoding(s: string): boolean {
  return !s.includes("%") || /^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(s);
}

/** RFC 9112 §6.3: Transfer-Encoding, then Content-Length, then no body. */
function decideFraming(
  raw: RawHead,
  minorVersion: 0 | 1,
  limits: ParserLimits,
): { framing: BodyFraming; contentLength: number } {
  const { transferEncoding, contentLength } = raw;
  if (transferEncoding === null && contentLength === null) return NO_BODY;

  if (transferEncoding !== null) {
    // Either combination is the classic request-smuggling shape; never guess.
    if (contentLength !== null) throw new ProtocolError(400, "both Transfer-Encoding and Content-Length");
    if (minorVersion === 0) throw new ProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request");
    const codings = splitList(transferEncoding);
    for (const coding of codings) {
      if (coding === "" || !isToken(coding)) throw new ProtocolError(400, "invalid Transfer-Encoding");
    }
    const chunkedAt = codings.indexOf("chunked");
    if (chunkedAt !== codings.length - 1 || codings.lastIndexOf("chunked") !== chunkedAt) {
      throw new ProtocolError(400, "chunked must be the final transfer coding, applied once");
    }
    if (codings.length > 1) throw new ProtocolError(501, "transfer codings other than chunked are not supported");
    return { framing: "chunked", contentLength: -1 };
  }

  if (contentLength !== null) {
    const parts = contentLength.split(",");
    let length = -1;
    for (const part of parts) {
      const digits = part.replace(/^[ \t]+|[ \t]+$/g, "");
      if (!/^[0-9]+$/.test(digits)) throw new ProtocolError(400, "invalid Content-Length");
      // Compare as numbers only when short enough to be exact; longer ones exceed any limit anyway.
      const significant = digits.replace(/^0+(?=[0-9])/, "");
      const value = significant.length > 15 ? Infinity : Number(significant);
      if (length !== -1 && value !== length) throw new ProtocolError(400, "conflicting Content-Length values");
      length = value;
    }
    if (length > limits.maxBodyBytes) throw new ProtocolError(413, "request body exceeds the size limit");
    return { framing: length === 0 ? "none" : "length", contentLength: length };
  }

  return NO_BODY;
}

const NO_BODY = Object.freeze({ framing: "none" as const, contentLength: 0 });

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) return false;
  }
  return s.length > 0;
}

/** RFC 9112 §9.3: 1.1 is persistent unless "close"; 1.0 only with "keep-alive". */
function decideKeepAlive(connection: string | null, minorVersion: 0 | 1): boolean {
  if (connection === null) return minorVersion === 1;
  const options = splitList(connection);
  if (options.includes("close")) return false;
  return minorVersion === 1 || options.includes("keep-alive");
}

/** RFC 9110 §10.1.1: only "100-continue" is defined; anything else is 417. */
function decideExpectation(expect: string | null, minorVersion: 0 | 1): boolean {
  if (expect === null) return false;
  // A 1.0 client cannot understand 100 Continue; the expectation is ignored.
  if (minorVersion === 0) return false;
  if (expect.toLowerCase() !== "100-continue") throw new ProtocolError(417, "unsupported expectation");
  return true;
}
