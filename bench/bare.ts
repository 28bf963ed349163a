/**
 * The bare engine for `deno task bench`: h1server's HTTP/1.1 engine with a handler that
 * answers GET /api/health with the same fixed response as the app, and no app layer
 * (no router, no middleware). The difference to h1server is the cost of the app stack.
 * Reads PORT and HOST from the environment.
 */
import { show } from "../src/handlers/health.ts";
import type { HttpResponse } from "../src/http/message.ts";
import { HttpServer } from "../src/server/server.ts";

const HEALTH = show();
const NOT_FOUND: HttpResponse = { status: 404, body: "404 Not Found\n" };

new HttpServer({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 8082),
  handler: (request) => request.path === "/api/health" ? HEALTH : NOT_FOUND,
});
