/**
 * The middleware order, declared once. Outermost first:
 *
 *   request id      every response, log line and error page carries it
 *   access log      one line per request, after everything inside has run
 *   security        nosniff, referrer policy, framing refused, CSP on HTML, HSTS over TLS; error pages too
 *   error handler   turns anything thrown below into a response (JSON under /api, HTML elsewhere)
 *   cors            only when CORS_ORIGINS is set: allow-origin for listed origins, preflights answered here
 *   compression     br/gzip by Accept-Encoding for textual bodies of COMPRESSION_MIN_BYTES or more
 *   body parser     limits for ctx.req.json() / text() / bytes()
 *   → router → handler or static file
 */
import type { Logger } from "../log.ts";
import type { Middleware } from "./compose.ts";
import { accessLog } from "./middleware/access_log.ts";
import { bodyParser } from "./middleware/body_parser.ts";
import { compression } from "./middleware/compression.ts";
import { cors } from "./middleware/cors.ts";
import { errorHandler } from "./middleware/error_handler.ts";
import { requestId } from "./middleware/request_id.ts";
import { securityHeaders } from "./middleware/security_headers.ts";

export interface PipelineOptions {
  readonly logger: Logger;
  /** Largest body ctx.req.json() and friends will read. */
  readonly maxJsonBytes: number;
  /** CORS_ORIGINS, normalised; empty or absent: CORS off (the middleware is not installed). */
  readonly corsOrigins?: readonly string[];
  /** CORS_CREDENTIALS. */
  readonly corsCredentials?: boolean;
  /** COMPRESSION_MIN_BYTES. */
  readonly compressionMinBytes?: number;
}

export function pipeline(options: PipelineOptions): Middleware[] {
  return [
    requestId(),
    accessLog(options.logger),
    securityHeaders(),
    errorHandler(options.logger),
    ...(options.corsOrigins?.length
      ? [cors({ origins: options.corsOrigins, credentials: options.corsCredentials ?? false })]
      : []),
    compression({ minBytes: options.compressionMinBytes }),
    bodyParser({ maxBytes: options.maxJsonBytes }),
  ];
}
