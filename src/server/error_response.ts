/**
 * The engine's own error responses: short plain text naming the status and a fixed
 * reason. They never contain input, stack traces, paths or configuration.
 */
import { ByteSink } from "../http/byte_sink.ts";
import { HeaderBlock } from "../http/header_block.ts";
import type { HttpResponse } from "../http/message.ts";
import { writeResponse } from "../http/response_writer.ts";
import { reasonPhrase } from "../http/status.ts";

const ERROR_HEADERS = new HeaderBlock([
  ["content-type", "text/plain; charset=utf-8"],
  ["x-content-type-options", "nosniff"],
  ["cache-control", "no-store"],
]);

export function errorResponse(status: number, detail?: string): HttpResponse {
  const title = `${status} ${reasonPhrase(status)}`;
  return { status, headers: ERROR_HEADERS, body: detail ? `${title}: ${detail}\n` : `${title}\n` };
}

export const INTERNAL_ERROR: HttpResponse = errorResponse(500);

/**
 * A complete closing error response as bytes, for the places outside an exchange
 * (the timeout sweeper, the connection limit) that write directly to a socket.
 */
export function closingErrorBytes(status: number): Uint8Array {
  const sink = new ByteSink(512);
  const response = status === 503 ? { ...errorResponse(503), headers: OVERLOAD_HEADERS } : errorResponse(status);
  writeResponse(sink, response, {
    headRequest: false,
    minorVersion: 1,
    keepAlive: false,
    keepAliveTimeoutSeconds: 0,
    nowMs: Date.now(),
  });
  return sink.view().slice();
}

const OVERLOAD_HEADERS = ERROR_HEADERS.with([["retry-after", "1"]]);
