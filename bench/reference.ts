/**
 * The reference server for `deno task bench`: the same routes as h1server on `Deno.serve`.
 *
 * Bodies, statuses and content types come from h1server's own modules (handlers, StaticFiles),
 * so both servers send the same bytes and do the same application work per request; only the
 * HTTP/1.1 engine differs. Reads PORT, HOST and WEB_ROOT_DIR from the environment.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../src/config.ts";
import { HeaderBlock } from "../src/http/header_block.ts";
import type { HttpResponse } from "../src/http/message.ts";
import { isJsonType } from "../src/app/context.ts";
import { StaticFiles } from "../src/app/static_files.ts";
import * as data from "../src/handlers/data.ts";
import * as health from "../src/handlers/health.ts";

type Handler = (request: Request) => Response | Promise<Response>;

/** A response built once; each request gets a new Response over the same bytes and init. */
function fixed(response: HttpResponse): Handler {
  const body = response.body as Uint8Array<ArrayBuffer>;
  const init = responseInit(response);
  return () => new Response(body, init);
}

function responseInit(response: HttpResponse): ResponseInit {
  return { status: response.status, headers: HeaderBlock.from(response.headers).entries as [string, string][] };
}

/** POST /api/data as h1server answers it: 415 without JSON, 400 for invalid JSON, else 201 with the echo. */
async function createData(request: Request): Promise<Response> {
  if (!isJsonType(request.headers.get("content-type") ?? "")) {
    return Response.json({ error: "Content-Type must be application/json" }, { status: 415 });
  }
  let received: unknown;
  try {
    received = JSON.parse(await request.text());
  } catch {
    return Response.json({ error: "Request body is not valid JSON" }, { status: 400 });
  }
  return new Response(JSON.stringify({ message: "Data received", received }), CREATED_INIT);
}

const CREATED_INIT = { status: 201, headers: { "content-type": "application/json; charset=utf-8" } };

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  "/api/health": { GET: fixed(health.show()) },
  "/api/data": { GET: fixed(data.list()), POST: createData },
};

const NOT_FOUND_INIT = { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } };
const staticFiles = new StaticFiles({ root: Deno.env.get("WEB_ROOT_DIR") ?? join(PROJECT_ROOT, "webroot") });

async function serveStatic(path: string): Promise<Response> {
  const found = await staticFiles.lookup(path);
  if (found.kind !== "file" || found.file.bytes === null) return new Response("404 Not Found\n", NOT_FOUND_INIT);
  // Headers include content-length, which Deno.serve keeps as is for a byte body.
  return new Response(found.file.bytes as Uint8Array<ArrayBuffer>, {
    headers: found.file.headers.entries as [string, string][],
  });
}

function handle(request: Request): Response | Promise<Response> {
  // The raw path, as h1server sees it: between the authority and the query.
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  const path = query === -1 ? url.slice(start) : url.slice(start, query);
  const method = request.method === "HEAD" ? "GET" : request.method;

  const handler = ROUTES[path]?.[method];
  if (handler !== undefined) return handler(request);
  if (path.startsWith("/api/")) return Response.json({ error: "Not Found" }, { status: 404 });
  if (method === "GET") return serveStatic(path);
  return new Response("404 Not Found\n", NOT_FOUND_INIT);
}

Deno.serve({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 8081),
  onListen: () => {},
}, handle);
