/** Response helpers that do not need a context: prebuilt responses for content that never changes. */
import { HeaderBlock } from "../http/header_block.ts";
import { FixedResponse } from "../http/response_writer.ts";
import { JSON_HEADERS } from "./context.ts";

const encoder = new TextEncoder();

/** A JSON response serialised once, for content that never changes. */
export function staticJson(status: number, value: unknown): FixedResponse {
  return new FixedResponse(status, JSON_HEADERS, encoder.encode(JSON.stringify(value)));
}

/**
 * For answers that hold a credential or depend on who asks (a token, a profile): no cache, the
 * browser's included, may keep them (RFC 9111 §5.2.2.5; RFC 6749 §5.1 asks it of token answers).
 */
export const NO_STORE: HeaderBlock = new HeaderBlock([["cache-control", "no-store"]]);
