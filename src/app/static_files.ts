/**
 * Static files from the web root: GET and HEAD, index.html for directories, ETag and
 * Last-Modified with 304s, small files kept in memory, large files streamed.
 *
 * Safe by construction: the path is decoded once, and anything that could leave the root
 * or reach a hidden file is refused before the file system is asked — encoded slashes,
 * backslashes, NUL, "." and ".." segments, empty segments, dotfiles — and the real path
 * of every file (symlinks resolved) must lie inside the root's real path.
 */
import { extname, join, sep as SEPARATOR } from "node:path";
import { HeaderBlock } from "../http/header_block.ts";
import type { HttpRequest, HttpResponse } from "../http/message.ts";
import type { Context } from "./context.ts";
import { HttpError } from "./http_error.ts";
import type { StaticHandler } from "./app.ts";
import { contentTypeFor } from "./mime.ts";

export interface StaticFilesOptions {
  readonly root: string;
  /** Files up to this size are kept in memory. */
  readonly maxCachedFileBytes?: number;
  /** Memory for cached files in all. */
  readonly maxCacheBytes?: number;
  /** A cached file is checked against the disk at most this often. */
  readonly revalidateMs?: number;
  /** URL prefix the root is served under ("/" by default). */
  readonly mount?: string;
}

/** A file ready to send: its bytes (when cached) and its headers. */
export interface StaticFile {
  readonly path: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: string;
  readonly mtimeMs: number;
  readonly headers: HeaderBlock;
  /** The content when the file is small enough to keep in memory. */
  readonly bytes: Uint8Array | null;
}

export type StaticLookup =
  | { readonly kind: "file"; readonly file: StaticFile }
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "refused"; readonly status: 400 | 404 };

interface CacheEntry {
  file: StaticFile;
  checkedAt: number;
}

const REFUSED_400: StaticLookup = Object.freeze({ kind: "refused", status: 400 });
const REFUSED_404: StaticLookup = Object.freeze({ kind: "refused", status: 404 });

export class StaticFiles implements StaticHandler {
  readonly root: string;
  readonly #realRoot: string;
  readonly #maxCachedFileBytes: number;
  readonly #maxCacheBytes: number;
  readonly #revalidateMs: number;
  readonly #mountPrefix: string;
  /** Keyed by the raw request path, which was checked before it was cached. */
  readonly #cache = new Map<string, CacheEntry>();
  #cachedBytes = 0;

  constructor(options: StaticFilesOptions) {
    this.root = options.root;
    this.#realRoot = Deno.realPathSync(options.root);
    this.#maxCachedFileBytes = options.maxCachedFileBytes ?? 256 * 1024;
    this.#maxCacheBytes = options.maxCacheBytes ?? 32 * 1024 * 1024;
    this.#revalidateMs = options.revalidateMs ?? 1000;
    this.#mountPrefix = options.mount === undefined || options.mount === "/" ? "" : options.mount;
  }

  /** Finds the file for a raw (still percent-encoded) request path. */
  async lookup(rawPath: string): Promise<StaticLookup> {
    const cached = this.#cache.get(rawPath);
    if (cached !== undefined && Date.now() - cached.checkedAt < this.#revalidateMs) {
      return { kind: "file", file: cached.file };
    }

    const segments = safeSegments(rawPath);
    if (segments === null) return REFUSED_400;
    if (segments.some((segment) => segment.startsWith("."))) return REFUSED_404;

    let path = join(this.#realRoot, ...segments);
    let info = await statOrNull(path);
    if (info === null) return this.#forget(rawPath);
    if (info.isDirectory) {
      if (!rawPath.endsWith("/")) return { kind: "redirect", location: `${rawPath}/` };
      path = join(path, "index.html");
      info = await statOrNull(path);
      if (info === null || !info.isFile) return this.#forget(rawPath);
    }
    if (!info.isFile) return this.#forget(rawPath);

    const mtimeMs = info.mtime?.getTime() ?? 0;
    if (cached !== undefined && cached.file.size === info.size && cached.file.mtimeMs === mtimeMs) {
      cached.checkedAt = Date.now();
      return { kind: "file", file: cached.file };
    }

    // Symlinks may point anywhere: only the resolved path decides.
    const realPath = await Deno.realPath(path).catch(() => null);
    if (realPath === null || !realPath.startsWith(this.#realRoot + SEPARATOR)) return this.#forget(rawPath);

    const bytes = info.size <= this.#maxCachedFileBytes ? await Deno.readFile(realPath).catch(() => null) : null;
    const file = describeFile(realPath, info.size, mtimeMs, bytes);
    if (bytes !== null && file.size === bytes.length) this.#remember(rawPath, file);
    return { kind: "file", file };
  }

  /** Answers a GET or HEAD for `path` (the raw request path), or null when no file answers it. */
  async serve(ctx: Context, path: string): Promise<HttpResponse | null> {
    const relative = this.#mountPrefix === "" ? path : path.slice(this.#mountPrefix.length) || "/";
    const found = await this.lookup(relative);
    if (found.kind === "refused") {
      if (found.status === 400) throw new HttpError(400, "Bad path");
      return null;
    }
    if (found.kind === "redirect") {
      const query = ctx.req.raw.query;
      return ctx.redirect(`${this.#mountPrefix}${found.location}${query === "" ? "" : `?${query}`}`, 301);
    }
    const file = found.file;
    if (isNotModified(ctx.req.raw, file)) return { status: 304, headers: file.headers };
    if (ctx.req.method === "HEAD" || file.bytes !== null) {
      return { status: 200, headers: file.headers, body: file.bytes };
    }
    const handle = await Deno.open(file.path, { read: true }).catch(() => null);
    if (handle === null) return null;
    return { status: 200, headers: file.headers, body: handle.readable };
  }

  #remember(rawPath: string, file: StaticFile): void {
    this.#forget(rawPath);
    this.#cache.set(rawPath, { file, checkedAt: Date.now() });
    this.#cachedBytes += file.size;
    // Evict the oldest entries (Map keeps insertion order) until the budget holds.
    for (const [key, entry] of this.#cache) {
      if (this.#cachedBytes <= this.#maxCacheBytes) break;
      this.#cache.delete(key);
      this.#cachedBytes -= entry.file.size;
    }
  }

  #forget(rawPath: string): StaticLookup {
    const entry = this.#cache.get(rawPath);
    if (entry !== undefined) {
      this.#cache.delete(rawPath);
      this.#cachedBytes -= entry.file.size;
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

function describeFile(path: string, size: number, mtimeMs: number, bytes: Uint8Array | null): StaticFile {
  const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
  const lastModified = new Date(Math.floor(mtimeMs / 1000) * 1000).toUTCString();
  const contentType = contentTypeFor(extname(path));
  const headers = new HeaderBlock([
    ["content-type", contentType],
    ["content-length", String(size)],
    ["etag", etag],
    ["last-modified", lastModified],
    ["cache-control", contentType.startsWith("text/html") ? "no-cache" : "public, max-age=3600"],
    ["x-content-type-options", "nosniff"],
  ]);
  return { path, size, etag, lastModified, mtimeMs, headers, bytes };
}

/** RFC 9110 §13.1.2 and §13.1.3: If-None-Match wins; If-Modified-Since only without it. */
function isNotModified(request: HttpRequest, file: StaticFile): boolean {
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() === "*") return true;
    return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === file.etag);
  }
  const ifModifiedSince = request.headers.get("if-modified-since");
  if (ifModifiedSince === null) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(file.mtimeMs / 1000) * 1000 <= since;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}
