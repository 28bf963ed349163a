/** Response helpers that do not need a context: prebuilt responses for content that never changes. */
import { FixedResponse } from "../http/response_writer.ts";
import { JSON_HEADERS } from "./context.ts";

const encoder = new TextEncoder();

/** A JSON response serialised once, for content that never changes. */
export function staticJson(status: number, value: unknown): FixedResponse {
  return new FixedResponse(status, JSON_HEADERS, encoder.encode(JSON.stringify(value)));
}
