/** GET /api/health: the server is up. */
import { staticJson } from "../app/responses.ts";
import type { HttpResponse } from "../http/message.ts";

const OK = staticJson(200, { status: "ok" });

export function show(): HttpResponse {
  return OK;
}
