/**
 * Accept-Encoding negotiation for precompressed siblings (RFC 9110 §12.5.3).
 *
 * Only the codings a sibling can provide are weighed: br and gzip (x-gzip is gzip). A coding
 * with q=0 is refused; `*` stands for every coding the field does not name. Identity stays
 * acceptable unless refused, but it wins over a compressed coding only when the client gave it
 * a higher weight explicitly. At equal weight br beats gzip.
 */

export type Coding = "br" | "gzip";

/** The client's weights (0 to 1) for the codings a sibling may have; identity -1 when unstated. */
export interface Acceptance {
  readonly br: number;
  readonly gzip: number;
  readonly identity: number;
}

const NONE: Acceptance = Object.freeze({ br: 0, gzip: 0, identity: -1 });
const QVALUE = /^q=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/i;

/** Browsers send a handful of distinct values: parsing each once keeps negotiation allocation-free. */
const parsed = new Map<string, Acceptance>();
const MEMO_LIMIT = 64;

export function parseAcceptEncoding(value: string): Acceptance {
  const known = parsed.get(value);
  if (known !== undefined) return known;
  let br = -1;
  let gzip = -1;
  let identity = -1;
  let any = -1;
  for (const element of value.split(",")) {
    const parts = element.split(";");
    const coding = parts[0].trim().toLowerCase();
    if (coding === "") continue;
    let q = 1;
    let valid = true;
    for (let i = 1; i < parts.length; i++) {
      const match = QVALUE.exec(parts[i].trim().replace(/[ \t]*=[ \t]*/, "="));
      if (match !== null) q = Number(match[1]);
      else if (/^q[ \t]*=/i.test(parts[i].trim())) valid = false;
    }
    if (!valid) continue;
    // The first mention of a coding counts.
    if (coding === "br" && br < 0) br = q;
    else if ((coding === "gzip" || coding === "x-gzip") && gzip < 0) gzip = q;
    else if (coding === "identity" && identity < 0) identity = q;
    else if (coding === "*" && any < 0) any = q;
  }
  const result: Acceptance = Object.freeze({
    br: br >= 0 ? br : Math.max(any, 0),
    gzip: gzip >= 0 ? gzip : Math.max(any, 0),
    identity: identity >= 0 ? identity : any,
  });
  if (parsed.size >= MEMO_LIMIT) parsed.clear();
  parsed.set(value, result);
  return result;
}

/**
 * The coding to serve, or null for identity. Without Accept-Encoding the file is sent as is:
 * the field's absence formally allows any coding, but clients that omit it (curl, scripts)
 * expect the bytes of the file.
 */
export function chooseCoding(acceptEncoding: string | null, hasBr: boolean, hasGzip: boolean): Coding | null {
  const accept = acceptEncoding === null ? NONE : parseAcceptEncoding(acceptEncoding);
  let best: Coding | null = null;
  let weight = 0;
  if (hasBr && accept.br > 0) {
    best = "br";
    weight = accept.br;
  }
  if (hasGzip && accept.gzip > weight) {
    best = "gzip";
    weight = accept.gzip;
  }
  if (best !== null && weight < accept.identity) return null;
  return best;
}
