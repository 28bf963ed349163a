/**
 * The middleware order, declared once. Outermost first:
 *
 *   request id      every response, log line and error page carries it
 *   access log      one line per request, after everything inside has run
 *   error handler   turns anything thrown below into a response (JSON under /api, HTML elsewhere)
 *   body parser     limits for ctx.req.json() / text() / bytes()
 *   → router → handler or static file
 */
import type { Logger } from "../log.ts";
import type { Middleware } from "./compose.ts";
import { accessLog } from "./middleware/access_log.ts";
import { bodyParser } from "./middleware/body_parser.ts";
import { errorHandler } from "./middleware/error_handler.ts";
import { requestId } from "./middleware/request_id.ts";

export interface PipelineOptions {
  readonly logger: Logger;
  /** Largest body ctx.req.json() and friends will read. */
  readonly maxJsonBytes: number;
}

export function pipeline(options: PipelineOptions): Middleware[] {
  return [
    requestId(),
    accessLog(options.logger),
    errorHandler(options.logger),
    bodyParser({ maxBytes: options.maxJsonBytes }),
  ];
}
