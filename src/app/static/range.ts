/**
 * Byte ranges (RFC 9110 §14): parsing the Range field, coalescing, and the framing of
 * multipart/byteranges bodies.
 */

/** Bytes `start` to `end`, both included. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The Range field is to be ignored: send the whole representation (200). */
export const IGNORE_RANGE = Symbol("ignore range");
/** No range overlaps the representation: 416. */
export const UNSATISFIABLE = Symbol("unsatisfiable");

export type RangeRequest = typeof IGNORE_RANGE | typeof UNSATISFIABLE | readonly ByteRange[];

/** More range-specs than this and the field is ignored: many tiny ranges cost the server, not the client. */
export const MAX_RANGES = 16;

const RANGE_SPEC = /^([0-9]*)-([0-9]*)$/;

/**
 * Parses a Range value against a representation of `size` bytes.
 *
 *  - Another unit than `bytes`, a malformed range-spec (`abc`, `5-2`, `-`) or more than
 *    MAX_RANGES range-specs: IGNORE_RANGE (§14.2: an invalid Range is ignored).
 *  - No satisfiable range-spec (all start at or past the end, `-0`, or an empty representation): UNSATISFIABLE.
 *  - Otherwise the satisfiable ranges, ends clamped to the size, overlapping and adjacent ones
 *    coalesced, in the order the client asked for them (§14.6).
 */
export function parseRange(value: string, size: number): RangeRequest {
  // The unit is case-insensitive; nothing may stand between it and "=".
  if (value.length < 7 || value.charCodeAt(5) !== 0x3d || value.slice(0, 5).toLowerCase() !== "bytes") {
    return IGNORE_RANGE;
  }
  const specs = value.slice(6).split(",");
  if (specs.length > MAX_RANGES * 4) return IGNORE_RANGE;
  const ranges: ByteRange[] = [];
  let count = 0;
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === "") continue; // empty list elements are allowed (§5.6.1)
    if (++count > MAX_RANGES) return IGNORE_RANGE;
    const match = RANGE_SPEC.exec(spec);
    if (match === null) return IGNORE_RANGE;
    const [, first, last] = match;
    if (first === "") {
      if (last === "") return IGNORE_RANGE;
      const suffix = Number(last);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === "" ? Infinity : Number(last);
    if (end < start) return IGNORE_RANGE;
    if (start < size) ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (count === 0) return IGNORE_RANGE;
  if (ranges.length === 0) return UNSATISFIABLE;
  return ranges.length === 1 ? ranges : coalesce(ranges);
}

/** Merges overlapping and adjacent ranges; each merged range keeps the place of its first-asked part. */
export function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = ranges.map((range, order) => ({ start: range.start, end: range.end, order }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: { start: number; end: number; order: number }[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end + 1) {
      last.end = Math.max(last.end, range.end);
      last.order = Math.min(last.order, range.order);
    } else {
      merged.push(range);
    }
  }
  return merged.sort((a, b) => a.order - b.order).map(({ start, end }) => ({ start, end }));
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** A boundary that cannot plausibly occur in the content: 24 random hex digits. */
export function makeBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** The framing around the parts of a multipart/byteranges body (RFC 9110 §14.6). */
export interface MultipartFraming {
  /** Before each part's bytes: delimiter and part fields. */
  readonly heads: readonly Uint8Array[];
  /** After the last part: the close delimiter. */
  readonly tail: Uint8Array;
  /** Body length: framing plus every range. */
  readonly length: number;
}

const encoder = new TextEncoder();

export function multipartFraming(
  ranges: readonly ByteRange[],
  size: number,
  contentType: string,
  boundary: string,
): MultipartFraming {
  let length = 0;
  const heads = ranges.map((range, i) => {
    const head = encoder.encode(
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\ncontent-type: ${contentType}\r\n` +
        `content-range: ${contentRange(range, size)}\r\n\r\n`,
    );
    length += head.length + range.end - range.start + 1;
    return head;
  });
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  return { heads, tail, length: length + tail.length };
}
