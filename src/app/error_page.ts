/**
 * How errors look to clients: `{"error": "..."}` under /api (plus `request_id` for 5xx), a
 * small self-contained HTML page elsewhere. Only exposed messages are shown; never stacks or paths.
 */
import { HeaderBlock } from "../http/header_block.ts";
import type { HttpResponse } from "../http/message.ts";
import { reasonPhrase } from "../http/status.ts";
import { isApiPath } from "./paths.ts";
import { type Context, HTML_HEADERS, JSON_HEADERS } from "./context.ts";
import type { HttpError } from "./http_error.ts";

export function renderError(ctx: Context, error: HttpError): HttpResponse {
  const status = error.status;
  const message = error.publicMessage;
  const extra = error.headers === undefined ? [] : [...HeaderBlock.from(error.headers).entries];
  // Server errors carry the request id so a report can be matched with the log; 4xx bodies
  // stay exactly {"error": ...} (the id is in the x-request-id field anyway).
  const withId = status >= 500 && ctx.requestId !== "";
  if (isApiPath(ctx.req.path)) {
    const body = withId ? { error: message, request_id: ctx.requestId } : { error: message };
    return {
      status,
      headers: extra.length === 0 ? JSON_HEADERS : JSON_HEADERS.with(extra),
      body: JSON.stringify(body),
    };
  }
  const title = `${status} ${reasonPhrase(status)}`;
  const detail = message === reasonPhrase(status) ? "" : `<p>${escapeHtml(message)}</p>`;
  const id = withId ? `<p><small>Request id: ${escapeHtml(ctx.requestId)}</small></p>` : "";
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1>${detail}${id}</body></html>\n`;
  return { status, headers: extra.length === 0 ? HTML_HEADERS : HTML_HEADERS.with(extra), body };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
