/**
 * Validators and conditional requests (RFC 9110 §8.8, §13): HTTP-date parsing, entity-tag
 * list matching and the precondition order of §13.2.2.
 *
 * Everything here reads the request's fields without allocating on the common paths: entity
 * tags are compared in place, and no field is fetched twice.
 */
import type { FieldList } from "../../http/fields.ts";

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Sunday, 06-Nov-94 08:49:37 GMT (obsolete) */
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
/** Sun Nov  6 08:49:37 1994 (obsolete) */
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** An HTTP-date (RFC 9110 §5.6.7) in ms since the epoch, or NaN when the value is not one. */
export function parseHttpDate(value: string): number {
  let match = IMF_FIXDATE.exec(value);
  if (match !== null) return utc(+match[3], match[2], +match[1], +match[4], +match[5], +match[6]);
  match = RFC850_DATE.exec(value);
  if (match !== null) {
    // A two-digit year more than 50 years ahead is the most recent past year with those digits.
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + Number(match[3]);
    if (year > now + 50) year -= 100;
    return utc(year, match[2], +match[1], +match[4], +match[5], +match[6]);
  }
  match = ASCTIME_DATE.exec(value);
  if (match !== null) return utc(+match[6], match[1], Number(match[2].trim()), +match[3], +match[4], +match[5]);
  return NaN;
}

function utc(year: number, month: string, day: number, hour: number, minute: number, second: number): number {
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  const monthIndex = MONTHS[month];
  const time = Date.UTC(year, monthIndex, day, hour, minute, Math.min(second, 59));
  // 31 Feb and the like roll over into the next month: not a date.
  return new Date(time).getUTCDate() === day ? time : NaN;
}

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const DQUOTE = 0x22;

/**
 * Whether the If-Match / If-None-Match value names `etag` (a strong tag, quotes included).
 * `*` matches any current representation. Weak comparison ignores the `W/` prefix; strong
 * comparison never matches a weak tag (§8.8.3.2). A malformed list matches nothing.
 */
export function etagListMatches(value: string, etag: string, weak: boolean): boolean {
  if (value === "*") return true;
  const n = value.length;
  let i = 0;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === SP || c === HTAB || c === COMMA) {
      i++;
      continue;
    }
    let isWeak = false;
    if (c === 0x57 /* W */ && value.charCodeAt(i + 1) === 0x2f /* / */) {
      isWeak = true;
      i += 2;
    }
    if (value.charCodeAt(i) !== DQUOTE) return false;
    const close = value.indexOf('"', i + 1);
    if (close === -1) return false;
    if (close + 1 - i === etag.length && (weak || !isWeak) && value.startsWith(etag, i)) return true;
    i = close + 1;
  }
  return false;
}

/**
 * If-Range (§13.1.5): true when the range may be served. An entity tag must be strong and
 * equal the current one; a date must equal Last-Modified exactly. Anything else is false.
 */
export function ifRangeHolds(value: string, etag: string, lastModifiedMs: number): boolean {
  if (value.charCodeAt(0) === DQUOTE) return value === etag;
  if (value.startsWith("W/")) return false;
  const date = parseHttpDate(value);
  return date === lastModifiedMs;
}

/** What the preconditions decided: go on, 304 Not Modified, or 412 Precondition Failed. */
export type Verdict = 0 | 304 | 412;

/**
 * RFC 9110 §13.2.2, steps 1 to 4, for a representation that exists:
 *  1. If-Match (strong) false → 412;
 *  2. else If-Unmodified-Since (valid date) and modified since → 412;
 *  3. If-None-Match (weak) true → 304 for GET/HEAD, 412 otherwise;
 *  4. else, for GET/HEAD, If-Modified-Since (valid date) and not modified since → 304.
 * Step 5 (If-Range) belongs to the range logic.
 */
export function evaluatePreconditions(
  headers: FieldList,
  method: string,
  etag: string,
  lastModifiedMs: number,
): Verdict {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, etag, false)) return 412;
  } else {
    const ifUnmodifiedSince = headers.get("if-unmodified-since");
    if (ifUnmodifiedSince !== null) {
      const since = parseHttpDate(ifUnmodifiedSince);
      if (!Number.isNaN(since) && lastModifiedMs > since) return 412;
    }
  }
  const safe = method === "GET" || method === "HEAD";
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (etagListMatches(ifNoneMatch, etag, true)) return safe ? 304 : 412;
  } else if (safe) {
    const ifModifiedSince = headers.get("if-modified-since");
    if (ifModifiedSince !== null) {
      const since = parseHttpDate(ifModifiedSince);
      if (!Number.isNaN(since) && lastModifiedMs <= since) return 304;
    }
  }
  return 0;
}
