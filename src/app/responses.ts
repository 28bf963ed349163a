/** Response helpers for handlers. Header blocks are built once and shared. */
import { HeaderBlock } from "../http/header_block.ts";
import type { HttpResponse } from "../http/message.ts";
import { FixedResponse } from "../http/response_writer.ts";

const encoder = new TextEncoder();

export const JSON_HEADERS: HeaderBlock = new HeaderBlock([["content-type", "application/json; charset=utf-8"]]);
export const HTML_HEADERS: HeaderBlock = new HeaderBlock([["content-type", "text/html; charset=utf-8"]]);

/** A JSON response; the value is serialised on every call. */
export function json(status: number, value: unknown, headers: HeaderBlock = JSON_HEADERS): HttpResponse {
  return { status, headers, body: JSON.stringify(value) };
}

/** A JSON response serialised once, for content that never changes. */
export function staticJson(status: number, value: unknown): FixedResponse {
  return new FixedResponse(status, JSON_HEADERS, encoder.encode(JSON.stringify(value)));
}

/** `{"error": message}`, the shape of every API error. */
export function jsonError(status: number, message: string, headers: HeaderBlock = JSON_HEADERS): HttpResponse {
  return json(status, { error: message }, headers);
}
