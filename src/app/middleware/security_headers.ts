/**
 * Security response fields, on every response:
 *
 *   x-content-type-options: nosniff
 *   referrer-policy: strict-origin-when-cross-origin
 *   x-frame-options: DENY                              (older browsers)
 *   content-security-policy: frame-ancestors 'none'    (non-HTML)
 *   content-security-policy: <page policy>             (HTML: also ends in frame-ancestors 'none')
 *                                                      (none on a 304: the cached response keeps its own)
 *   strict-transport-security: max-age=31536000        (only on requests that came over TLS)
 *
 * The page policy allows a plain no-build page: scripts, styles, fonts and fetches from the
 * same origin, images from it and data: URLs, and nothing inline. A handler that needs another
 * policy sets its own `content-security-policy`; a field the response already has is never added.
 *
 * The decision is made after `next()`, on the final response (the error handler may have replaced
 * the handler's). Install it outside the error handler. The fields are prebuilt HeaderBlocks: per
 * request this is one WeakMap lookup on the response's HeaderBlock (whose content type and fields
 * never change) and one pushed block. Responses with plain header arrays or records are scanned.
 */
import { HeaderBlock, type HeaderInit } from "../../http/header_block.ts";
import type { HttpResponse } from "../../http/message.ts";
import type { Middleware } from "../compose.ts";
import type { Context } from "../context.ts";

/** Allows what a plain page with its own scripts, styles, images and fonts needs; nothing inline. */
export const DEFAULT_PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";
/** Non-HTML responses only need to refuse being framed. */
export const NON_HTML_CSP = "frame-ancestors 'none'";
/** One year; no includeSubDomains (it would force HTTPS on every subdomain) and no preload. */
export const DEFAULT_HSTS = "max-age=31536000";
/**
 * The browsers' own default, stated so older browsers follow it too: the full URL within the
 * site, only the origin to other sites, nothing on an HTTPS → HTTP downgrade.
 */
export const DEFAULT_REFERRER_POLICY = "strict-origin-when-cross-origin";

export interface SecurityHeadersOptions {
  /** Content-Security-Policy for HTML responses. */
  readonly pageCsp?: string;
  readonly referrerPolicy?: string;
  /** strict-transport-security for requests that arrived over TLS; null sends none. */
  readonly hsts?: string | null;
}

/** The fields this middleware may add, in order; a field's bit in a mask is 1 << its index. */
const NAMES = [
  "x-content-type-options",
  "referrer-policy",
  "x-frame-options",
  "content-security-policy",
  "strict-transport-security",
] as const;
const ALL_PRESENT = (1 << NAMES.length) - 1;

/**
 * What a response's headers say, packed in a number: bit 0 = HTML, bits 1.. = which of NAMES
 * the response already has. The block to add is `blocks[shape + (tls ? TLS_OFFSET : 0)]`.
 */
type Shape = number;
const HTML_BIT = 1;
const TLS_OFFSET = 2 << NAMES.length;

const HTML_TYPE = /^[ \t]*(?:text\/html|application\/xhtml\+xml)[ \t]*(?:;|$)/i;

export function securityHeaders(options: SecurityHeadersOptions = {}): Middleware {
  const pageCsp = options.pageCsp ?? DEFAULT_PAGE_CSP;
  const referrerPolicy = options.referrerPolicy ?? DEFAULT_REFERRER_POLICY;
  const hsts = options.hsts === undefined ? DEFAULT_HSTS : options.hsts;

  /** The block for every shape, built on first use (the common ones up front). */
  const blocks: HeaderBlock[] = new Array(TLS_OFFSET * 2);
  const blockFor = (index: number): HeaderBlock => {
    const cached = blocks[index];
    if (cached !== undefined) return cached;
    const tls = index >= TLS_OFFSET;
    const shape = tls ? index - TLS_OFFSET : index;
    const present = shape >> 1;
    const values = [
      "nosniff",
      referrerPolicy,
      "DENY",
      (shape & HTML_BIT) !== 0 ? pageCsp : NON_HTML_CSP,
      tls ? hsts : null,
    ];
    const fields: [string, string][] = [];
    for (let i = 0; i < NAMES.length; i++) {
      const value = values[i];
      if (value !== null && (present & (1 << i)) === 0) fields.push([NAMES[i], value]);
    }
    return blocks[index] = fields.length === 0 ? HeaderBlock.EMPTY : new HeaderBlock(fields);
  };
  for (const index of [0, HTML_BIT, TLS_OFFSET, TLS_OFFSET + HTML_BIT]) blockFor(index);
  // With no HSTS a TLS response is shaped like any other.
  const tlsOffset = hsts === null ? 0 : TLS_OFFSET;

  // Decided on the final response (error pages included), just before it is sent.
  const plain = (ctx: Context) => ctx.headerBlock(blockFor(shapeOf(ctx.res) | keepCachedPolicy(ctx.res)));
  const overTls = (ctx: Context) =>
    ctx.headerBlock(blockFor((shapeOf(ctx.res) | keepCachedPolicy(ctx.res)) + tlsOffset));
  return (ctx, next) => {
    ctx.beforeSend(ctx.req.raw.secure ? overTls : plain);
    return next();
  };
}

const CSP_PRESENT: Shape = 1 << (NAMES.indexOf("content-security-policy") + 1);

/**
 * A 304's fields replace those of the cached response it revalidates (RFC 9111 §4.3.4), and a 304
 * has no content type to tell a page from the rest: it gets no content-security-policy, so that a
 * cached page keeps its own instead of having it swapped for NON_HTML_CSP (which allows any script).
 */
function keepCachedPolicy(res: HttpResponse | null): Shape {
  return res !== null && res.status === 304 ? CSP_PRESENT : 0;
}

/** Shapes of HeaderBlocks seen so far: handlers reuse theirs, so this is almost always a hit. */
const blockShapes = new WeakMap<HeaderBlock, Shape>();
/** The last block looked up: a server answering one route in a loop skips even the WeakMap. */
let lastBlock: HeaderBlock | null = null;
let lastShape: Shape = 0;

function shapeOf(res: HttpResponse | null): Shape {
  if (res === null) return 0;
  const headers = res.headers;
  if (res.extra === undefined && headers instanceof HeaderBlock) {
    if (headers === lastBlock) return lastShape;
    let shape = blockShapes.get(headers);
    if (shape === undefined) {
      shape = scan(headers.entries, 0);
      blockShapes.set(headers, shape);
    }
    lastBlock = headers;
    return lastShape = shape;
  }
  let shape = scan(entriesOf(headers), 0);
  if (res.extra !== undefined) {
    for (const block of res.extra.blocks) shape = scan(block.entries, shape);
    shape = scan(res.extra.fields, shape);
    if (res.extra.trusted !== undefined) shape = scan(res.extra.trusted, shape);
  }
  return shape;
}

function scan(fields: Iterable<readonly [string, string]>, shape: Shape): Shape {
  for (const [rawName, value] of fields) {
    const name = rawName.toLowerCase();
    if (name === "content-type" && HTML_TYPE.test(value)) shape |= HTML_BIT;
    const index = (NAMES as readonly string[]).indexOf(name);
    if (index >= 0) shape |= 1 << (index + 1);
  }
  return shape & ((ALL_PRESENT << 1) | HTML_BIT);
}

function entriesOf(headers: HeaderInit | undefined): Iterable<readonly [string, string]> {
  if (headers === undefined) return [];
  if (headers instanceof HeaderBlock) return headers.entries;
  return Array.isArray(headers) ? headers : Object.entries(headers);
}
