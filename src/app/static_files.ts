/**
 * Static files from the web root: GET and HEAD, index.html for directories, validators and
 * conditional requests, byte ranges, precompressed siblings, small files kept in memory and
 * large ones streamed from disk.
 *
 * Safe by construction: the path is decoded once, and anything that could leave the root
 * or reach a hidden file is refused before the file system is asked — encoded slashes,
 * backslashes, NUL, "." and ".." segments, empty segments, dotfiles — and the real path
 * of every file (symlinks resolved) must lie inside the root's real path and must not pass
 * through a hidden name there either. Files are opened by that real path only.
 *
 * Per request, in the order of RFC 9110 §13.2.2:
 *  1. the representation: the file itself for a Range request that will be honoured (a range
 *     never applies to a compressed sibling), else `file.br` / `file.gz` when Accept-Encoding
 *     prefers it, else the file;
 *  2. If-Match / If-Unmodified-Since → 412, If-None-Match / If-Modified-Since → 304;
 *  3. Range (GET only, If-Range permitting) → 206 single or multipart/byteranges, or 416;
 *  4. otherwise 200 with `accept-ranges: bytes`.
 *
 * Hot path: a cached file without conditional or Range fields is answered with a response
 * object built when the file was loaded (prebuilt HeaderBlock, the bytes in memory), after
 * one Map lookup and a handful of `headers.get` calls; nothing is allocated for it.
 */
import { extname, join, sep as SEPARATOR } from "node:path";
import { HeaderBlock } from "../http/header_block.ts";
import type { HttpRequest, HttpResponse } from "../http/message.ts";
import type { StaticHandler } from "./app.ts";
import type { Context } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { contentTypeFor } from "./mime.ts";
import { type CacheRule, DEFAULT_CACHE_RULES } from "./routes_file.ts";
import { CacheRules } from "./static/cache_rules.ts";
import { evaluatePreconditions, ifRangeHolds } from "./static/conditional.ts";
import { chooseCoding } from "./static/encoding.ts";
import { fileStream, type StreamPiece } from "./static/file_stream.ts";
import {
  type ByteRange,
  contentRange,
  IGNORE_RANGE,
  makeBoundary,
  multipartFraming,
  parseRange,
  type RangeRequest,
  UNSATISFIABLE,
} from "./static/range.ts";

export interface StaticFilesOptions {
  readonly root: string;
  /** Cache-Control by path (routes.json `static.cacheControl`); first match wins, none → no field. */
  readonly cacheControl?: readonly CacheRule[];
  /** Files up to this size are kept in memory. */
  readonly maxCachedFileBytes?: number;
  /** Memory for cached files in all. */
  readonly maxCacheBytes?: number;
  /** A cached file is checked against the disk at most this often. */
  readonly revalidateMs?: number;
  /** URL prefix the root is served under ("/" by default). */
  readonly mount?: string;
}

export type ContentCoding = "identity" | "br" | "gzip";

/** One representation of a file: the file itself or a precompressed sibling. */
export interface Representation {
  /** The real path (symlinks resolved), inside the root. */
  readonly path: string;
  readonly encoding: ContentCoding;
  readonly size: number;
  readonly mtimeMs: number;
  /** Strong; a sibling's ends in `-br` or `-gzip`. */
  readonly etag: string;
  readonly lastModified: string;
  /** Last-Modified as ms since the epoch (whole seconds). */
  readonly lastModifiedMs: number;
  /** The 200 fields, content-length included. */
  readonly headers: HeaderBlock;
  /** The content when small enough to keep in memory. */
  readonly bytes: Uint8Array | null;
  /** The 200 response when `bytes` is set, and the HEAD response always. */
  readonly ok: HttpResponse;
  /** The 304 response: validators, cache-control and vary; no content fields. */
  readonly notModified: HttpResponse;
}

/** A file ready to send: the file itself (identity) and its precompressed siblings. */
export interface StaticFile extends Representation {
  readonly encoding: "identity";
  readonly contentType: string;
  readonly cacheControl: string | null;
  readonly br: Representation | null;
  readonly gzip: Representation | null;
  /** The fields a 206 carries besides content-type, content-length and content-range. */
  readonly partialFields: readonly (readonly [string, string])[];
  /** `vary: accept-encoding` when the file has a sibling, for error answers; else empty. */
  readonly varyFields: readonly (readonly [string, string])[];
}

export type StaticLookup =
  | { readonly kind: "file"; readonly file: StaticFile }
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "refused"; readonly status: 400 | 404 };

interface CacheEntry {
  readonly result: StaticLookup & { readonly kind: "file" };
  /** Size and mtime of the file and of each sibling found next to it, as stat saw them. */
  readonly stamp: string;
  /** Memory charged to the cache budget. */
  readonly cost: number;
  checkedAt: number;
}

const REFUSED_400: StaticLookup = Object.freeze({ kind: "refused", status: 400 });
const REFUSED_404: StaticLookup = Object.freeze({ kind: "refused", status: 404 });
/** What a cache entry costs beyond its bytes (objects, headers), so metadata-only entries are bounded too. */
const ENTRY_OVERHEAD_BYTES = 1024;
const VARY_ACCEPT_ENCODING: readonly (readonly [string, string])[] = Object.freeze([
  Object.freeze(["vary", "accept-encoding"] as const),
]);
const NO_FIELDS: readonly (readonly [string, string])[] = Object.freeze([]);

export class StaticFiles implements StaticHandler {
  readonly root: string;
  readonly #realRoot: string;
  /** The real root with a trailing separator: every served real path starts with it. */
  readonly #rootPrefix: string;
  readonly #cacheRules: CacheRules;
  readonly #maxCachedFileBytes: number;
  readonly #maxCacheBytes: number;
  readonly #revalidateMs: number;
  readonly #mountPrefix: string;
  /** Keyed by the raw request path, which was checked before it was cached. */
  readonly #cache = new Map<string, CacheEntry>();
  /** Lookups in progress: concurrent requests for one path share the disk work. */
  readonly #pending = new Map<string, Promise<StaticLookup>>();
  #cachedBytes = 0;

  constructor(options: StaticFilesOptions) {
    this.root = options.root;
    this.#realRoot = Deno.realPathSync(options.root);
    this.#rootPrefix = this.#realRoot.endsWith(SEPARATOR) ? this.#realRoot : this.#realRoot + SEPARATOR;
    this.#cacheRules = new CacheRules(options.cacheControl ?? DEFAULT_CACHE_RULES);
    this.#maxCachedFileBytes = options.maxCachedFileBytes ?? 256 * 1024;
    this.#maxCacheBytes = options.maxCacheBytes ?? 32 * 1024 * 1024;
    this.#revalidateMs = options.revalidateMs ?? 1000;
    this.#mountPrefix = options.mount === undefined || options.mount === "/" ? "" : options.mount.replace(/\/$/, "");
  }

  /** Memory held by the cache (bytes of cached files plus a fixed cost per entry). */
  get cachedBytes(): number {
    return this.#cachedBytes;
  }

  /** Finds the file for a raw (still percent-encoded) path relative to the mount. */
  lookup(rawPath: string): Promise<StaticLookup> {
    const cached = this.#cache.get(rawPath);
    if (cached !== undefined && Date.now() - cached.checkedAt < this.#revalidateMs) {
      return Promise.resolve(cached.result);
    }
    let pending = this.#pending.get(rawPath);
    if (pending === undefined) {
      pending = this.#load(rawPath).finally(() => this.#pending.delete(rawPath));
      this.#pending.set(rawPath, pending);
    }
    return pending;
  }

  /** Answers a GET or HEAD for `path` (the raw request path), or null when no file answers it. */
  async serve(ctx: Context, path: string): Promise<HttpResponse | null> {
    const prefix = this.#mountPrefix;
    let relative = path;
    if (prefix !== "") {
      // The mount itself is a directory: its pages' relative links need the trailing slash.
      if (path.length === prefix.length) return this.#redirect(ctx, `${prefix}/`);
      relative = path.slice(prefix.length);
    }
    const cached = this.#cache.get(relative);
    const found = cached !== undefined && Date.now() - cached.checkedAt < this.#revalidateMs
      ? cached.result
      : await this.lookup(relative);
    if (found.kind === "file") return this.respond(ctx.req.raw, found.file);
    if (found.kind === "redirect") return this.#redirect(ctx, `${prefix}${found.location}`);
    if (found.status === 400) throw new HttpError(400, "Bad path");
    return null;
  }

  /** The response to `request` (GET or HEAD) for `file`; throws HttpError for 412 and 416. */
  respond(request: HttpRequest, file: StaticFile): HttpResponse {
    const headers = request.headers;
    const method = request.method;

    // 1. Which representation: a Range that will be honoured pins the file itself.
    let ranges: RangeRequest = IGNORE_RANGE;
    if (method === "GET") {
      const range = headers.get("range");
      if (range !== null) {
        ranges = parseRange(range, file.size);
        if (ranges !== IGNORE_RANGE) {
          const ifRange = headers.get("if-range");
          if (ifRange !== null && !ifRangeHolds(ifRange, file.etag, file.lastModifiedMs)) ranges = IGNORE_RANGE;
        }
      }
    }
    let representation: Representation = file;
    if (ranges === IGNORE_RANGE && (file.br !== null || file.gzip !== null)) {
      const coding = chooseCoding(headers.get("accept-encoding"), file.br !== null, file.gzip !== null);
      if (coding === "br") representation = file.br!;
      else if (coding === "gzip") representation = file.gzip!;
    }

    // 2. Preconditions.
    const verdict = evaluatePreconditions(headers, method, representation.etag, representation.lastModifiedMs);
    if (verdict === 304) return representation.notModified;
    if (verdict === 412) throw new HttpError(412, "Precondition Failed", { headers: file.varyFields });

    // 3. Range.
    if (ranges !== IGNORE_RANGE) return partial(file, ranges);

    // 4. The whole representation.
    if (representation.bytes !== null || method === "HEAD") return representation.ok;
    const size = representation.size;
    return {
      status: 200,
      headers: representation.headers,
      body: fileStream(representation.path, size === 0 ? [] : [{ start: 0, end: size - 1 }]),
    };
  }

  #redirect(ctx: Context, location: string): HttpResponse {
    const query = ctx.req.raw.query;
    return ctx.redirect(query === "" ? location : `${location}?${query}`, 301);
  }

  async #load(rawPath: string): Promise<StaticLookup> {
    const cached = this.#cache.get(rawPath);
    const segments = safeSegments(rawPath);
    if (segments === null) return REFUSED_400;
    if (segments.some((segment) => segment.startsWith("."))) return REFUSED_404;

    // The decoded path relative to the mount, as cache-control rules see it.
    const urlPath = segments.length === 0 ? "/" : `/${segments.join("/")}${rawPath.endsWith("/") ? "/" : ""}`;
    let filePath = urlPath;
    let path = join(this.#realRoot, ...segments);
    let info = await statOrNull(path);
    if (info === null) return this.#forget(rawPath);
    if (info.isDirectory) {
      if (!rawPath.endsWith("/")) return { kind: "redirect", location: `${rawPath}/` };
      path = join(path, "index.html");
      filePath = `${urlPath.endsWith("/") ? urlPath : `${urlPath}/`}index.html`;
      info = await statOrNull(path);
      if (info === null) return this.#forget(rawPath);
    }
    if (!info.isFile) return this.#forget(rawPath);
    const [brInfo, gzipInfo] = await Promise.all([regularFileOrNull(`${path}.br`), regularFileOrNull(`${path}.gz`)]);

    const stamp = `${stampOf(info)} ${stampOf(brInfo)} ${stampOf(gzipInfo)}`;
    if (cached !== undefined && cached.stamp === stamp) {
      cached.checkedAt = Date.now();
      return cached.result;
    }

    // Symlinks may point anywhere: only the resolved path decides.
    const realPath = await this.#confined(path);
    if (realPath === null) return this.#forget(rawPath);
    const [brPath, gzipPath] = await Promise.all([
      brInfo === null ? null : this.#confined(`${path}.br`),
      gzipInfo === null ? null : this.#confined(`${path}.gz`),
    ]);

    const contentType = contentTypeFor(extname(path));
    const cacheControl = this.#cacheRules.valueFor(urlPath, filePath);
    // Whether a sibling answers is only known once it is read: vary is decided up front from
    // what is on disk, so all representations of the file carry the same fields.
    const vary = brPath !== null || gzipPath !== null;
    const common = { contentType, cacheControl, vary };
    const [identity, br, gzip] = await Promise.all([
      this.#load1(realPath, info, "identity", common),
      brPath === null ? null : this.#load1(brPath, brInfo!, "br", common),
      gzipPath === null ? null : this.#load1(gzipPath, gzipInfo!, "gzip", common),
    ]);
    if (identity === null) return this.#forget(rawPath);
    const validators = identity.representation.notModified.headers as HeaderBlock;
    const file: StaticFile = Object.freeze({
      ...identity.representation,
      encoding: "identity" as const,
      contentType,
      cacheControl,
      br: br?.representation ?? null,
      gzip: gzip?.representation ?? null,
      partialFields: Object.freeze([...validators.entries, ["x-content-type-options", "nosniff"] as const]),
      varyFields: vary ? VARY_ACCEPT_ENCODING : NO_FIELDS,
    });
    const result = Object.freeze({ kind: "file" as const, file });
    // A file that changed while it was read is served once and looked at again next time.
    const steady = identity.steady && (br?.steady ?? true) && (gzip?.steady ?? true);
    if (steady) {
      const cost = ENTRY_OVERHEAD_BYTES + (file.bytes?.length ?? 0) + (file.br?.bytes?.length ?? 0) +
        (file.gzip?.bytes?.length ?? 0);
      this.#remember(rawPath, result, stamp, cost);
    } else {
      this.#forget(rawPath);
    }
    return result;
  }

  /** The real path of `path` when it lies inside the root and passes no hidden name there; else null. */
  async #confined(path: string): Promise<string | null> {
    const realPath = await Deno.realPath(path).catch(() => null);
    if (realPath === null || !realPath.startsWith(this.#rootPrefix)) return null;
    const inside = realPath.slice(this.#rootPrefix.length);
    if (inside.startsWith(".") || inside.includes(`${SEPARATOR}.`)) return null;
    return realPath;
  }

  /**
   * One representation, its bytes read when small enough; null when the file cannot be read
   * (better a 404 now than a response that breaks off after its head). `steady` is false when
   * the size moved between stat and read.
   */
  async #load1(
    path: string,
    info: Deno.FileInfo,
    encoding: ContentCoding,
    common: { contentType: string; cacheControl: string | null; vary: boolean },
  ): Promise<{ representation: Representation; steady: boolean } | null> {
    let bytes: Uint8Array | null = null;
    try {
      if (info.size <= this.#maxCachedFileBytes) bytes = await Deno.readFile(path);
      else (await Deno.open(path, { read: true })).close();
    } catch {
      return null;
    }
    const size = bytes?.length ?? info.size;
    const representation = describe(path, encoding, size, info.mtime?.getTime() ?? 0, bytes, common);
    return { representation, steady: size === info.size };
  }

  #remember(rawPath: string, result: CacheEntry["result"], stamp: string, cost: number): void {
    this.#forget(rawPath);
    // An entry larger than the whole budget would only flush everything else.
    if (cost > this.#maxCacheBytes) return;
    this.#cache.set(rawPath, { result, stamp, cost, checkedAt: Date.now() });
    this.#cachedBytes += cost;
    // Evict the oldest entries (Map keeps insertion order) until the budget holds.
    for (const [key, entry] of this.#cache) {
      if (this.#cachedBytes <= this.#maxCacheBytes) break;
      this.#cache.delete(key);
      this.#cachedBytes -= entry.cost;
    }
  }

  #forget(rawPath: string): StaticLookup {
    const entry = this.#cache.get(rawPath);
    if (entry !== undefined) {
      this.#cache.delete(rawPath);
      this.#cachedBytes -= entry.cost;
    }
    return REFUSED_404;
  }
}

/**
 * The decoded path segments, or null when the path must be refused (400).
 * A trailing slash yields no empty last segment; the caller sees it in the raw path.
 */
export function safeSegments(rawPath: string): string[] | null {
  if (!rawPath.startsWith("/")) return null;
  // Encoded "/" or "\" would let one segment act as several after decoding.
  if (/%2f|%5c/i.test(rawPath)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const segments = decoded.slice(1).split("/");
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") return null;
  }
  return segments;
}

function describe(
  path: string,
  encoding: ContentCoding,
  size: number,
  mtimeMs: number,
  bytes: Uint8Array | null,
  common: { contentType: string; cacheControl: string | null; vary: boolean },
): Representation {
  const suffix = encoding === "identity" ? "" : `-${encoding}`;
  const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}${suffix}"`;
  const lastModifiedMs = Math.floor(mtimeMs / 1000) * 1000;
  const lastModified = new Date(lastModifiedMs).toUTCString();
  const validators: [string, string][] = [["etag", etag], ["last-modified", lastModified]];
  if (common.cacheControl !== null) validators.push(["cache-control", common.cacheControl]);
  if (common.vary) validators.push(["vary", "accept-encoding"]);
  const fields: [string, string][] = [["content-type", common.contentType], ["content-length", String(size)]];
  if (encoding !== "identity") fields.push(["content-encoding", encoding]);
  fields.push(...validators, ["accept-ranges", "bytes"], ["x-content-type-options", "nosniff"]);
  const headers = new HeaderBlock(fields);
  return Object.freeze({
    path,
    encoding,
    size,
    mtimeMs,
    etag,
    lastModified,
    lastModifiedMs,
    headers,
    bytes,
    ok: Object.freeze({ status: 200, headers, body: bytes }),
    notModified: Object.freeze({ status: 304, headers: new HeaderBlock(validators) }),
  });
}

/** 206 for satisfiable ranges (from memory or disk), 416 otherwise. */
function partial(file: StaticFile, ranges: typeof UNSATISFIABLE | readonly ByteRange[]): HttpResponse {
  const size = file.size;
  if (ranges === UNSATISFIABLE) {
    throw new HttpError(416, "Range Not Satisfiable", {
      headers: [["content-range", `bytes */${size}`], ...file.varyFields],
    });
  }
  if (ranges.length === 1) {
    const range = ranges[0];
    const length = range.end - range.start + 1;
    const headers = new HeaderBlock([
      ["content-type", file.contentType],
      ["content-length", String(length)],
      ["content-range", contentRange(range, size)],
      ...file.partialFields,
    ]);
    const body = file.bytes !== null ? file.bytes.subarray(range.start, range.end + 1) : fileStream(file.path, ranges);
    return { status: 206, headers, body };
  }
  const boundary = makeBoundary();
  const framing = multipartFraming(ranges, size, file.contentType, boundary);
  const headers = new HeaderBlock([
    ["content-type", `multipart/byteranges; boundary=${boundary}`],
    ["content-length", String(framing.length)],
    ...file.partialFields,
  ]);
  const pieces: StreamPiece[] = [];
  ranges.forEach((range, i) => pieces.push(framing.heads[i], range));
  pieces.push(framing.tail);
  if (file.bytes === null) return { status: 206, headers, body: fileStream(file.path, pieces) };
  const body = new Uint8Array(framing.length);
  let at = 0;
  for (const piece of pieces) {
    const bytes = piece instanceof Uint8Array ? piece : file.bytes.subarray(piece.start, piece.end + 1);
    body.set(bytes, at);
    at += bytes.length;
  }
  return { status: 206, headers, body };
}

function stampOf(info: Deno.FileInfo | null): string {
  return info === null ? "-" : `${info.size}:${info.mtime?.getTime() ?? 0}`;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}

async function regularFileOrNull(path: string): Promise<Deno.FileInfo | null> {
  const info = await statOrNull(path);
  return info !== null && info.isFile ? info : null;
}
