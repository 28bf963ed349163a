import assert from "node:assert/strict";
import { join } from "node:path";
import { createApp, type Handler } from "./app.ts";
import type { Context } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { inject } from "./inject.ts";
import { pipeline } from "./pipeline.ts";
import type { RoutesFile } from "./routes_file.ts";
import { StaticFiles } from "./static_files.ts";
import { createLogger } from "../log.ts";

const HANDLERS: Record<string, Handler> = {
  "items.list": (ctx) => ctx.json({ items: [] }),
  "items.show": (ctx) => ctx.json({ id: ctx.req.params.id, q: ctx.req.query.get("q") }),
  "items.create": async (ctx) => ctx.json({ received: await ctx.req.json() }, 201),
  "items.fail": () => {
    throw new Error("database password is hunter2");
  },
  "items.teapot": () => {
    throw new HttpError(418, "short and stout");
  },
  "items.nothing": () => {},
};

function routes(spaFallback = false): RoutesFile {
  return {
    routes: [
      { method: "GET", path: "/api/items", handler: "items.list" },
      { method: "POST", path: "/api/items", handler: "items.create" },
      { method: "GET", path: "/api/items/:id", handler: "items.show" },
      { method: "GET", path: "/api/fail", handler: "items.fail" },
      { method: "GET", path: "/api/teapot", handler: "items.teapot" },
      { method: "GET", path: "/api/nothing", handler: "items.nothing" },
      { method: "GET", path: "/page/fail", handler: "items.fail" },
    ],
    static: { mount: "/", root: "webroot", spaFallback, cacheControl: [] },
  };
}

function makeApp(options: { spaFallback?: boolean; lines?: string[] } = {}) {
  const root = Deno.makeTempDirSync();
  Deno.writeTextFileSync(join(root, "index.html"), "<!doctype html><title>home</title>");
  Deno.writeTextFileSync(join(root, "app.js"), "console.log(1)");
  const lines = options.lines ?? [];
  const logger = createLogger({ write: (line) => lines.push(line) });
  const app = createApp({
    routes: routes(options.spaFallback),
    handlers: HANDLERS,
    middleware: pipeline({ logger, maxJsonBytes: 64 }),
    staticFiles: new StaticFiles({ root }),
  });
  return { app, lines, [Symbol.dispose]: () => Deno.removeSync(root, { recursive: true }) };
}

Deno.test("app routes params and query to the handler", async () => {
  using fixture = makeApp();
  const response = await inject(fixture.app.handle, "/api/items/a%20b?q=x%26y");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { id: "a b", q: "x&y" });
});

Deno.test("app answers HEAD from the GET handler with the same fields and no body", async () => {
  using fixture = makeApp();
  const get = await inject(fixture.app.handle, "/api/items");
  const head = await inject(fixture.app.handle, "/api/items", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), get.headers.get("content-length"));
  assert.equal(head.headers.get("content-type"), get.headers.get("content-type"));
  assert.equal(await head.text(), "");
});

Deno.test("app answers OPTIONS with Allow and other methods with 405 and Allow as JSON", async () => {
  using fixture = makeApp();
  const options = await inject(fixture.app.handle, "/api/items", { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get("allow"), "GET, HEAD, OPTIONS, POST");
  const put = await inject(fixture.app.handle, "/api/items", { method: "PUT" });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "GET, HEAD, OPTIONS, POST");
  assert.deepEqual(await put.json(), { error: "Method Not Allowed" });
});

Deno.test("app answers unknown methods 501 and unknown API paths 404 as JSON", async () => {
  using fixture = makeApp();
  const brew = await inject(fixture.app.handle, "/api/items", { method: "BREW" });
  assert.equal(brew.status, 501);
  const unknown = await inject(fixture.app.handle, "/elsewhere", { method: "BREW" });
  assert.equal(unknown.status, 501);
  const missing = await inject(fixture.app.handle, "/api/missing");
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "Not Found" });
});

Deno.test("app answers errors outside /api with a small HTML page", async () => {
  using fixture = makeApp();
  const missing = await inject(fixture.app.handle, "/missing.html");
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(await missing.text(), /<h1>404 Not Found<\/h1>/);
});

Deno.test("app hides internals of a failing handler and logs them with the request id", async () => {
  const lines: string[] = [];
  using fixture = makeApp({ lines });
  const response = await inject(fixture.app.handle, "/api/fail");
  assert.equal(response.status, 500);
  const body = await response.json() as { error: string; request_id: string };
  assert.equal(body.error, "Internal Server Error");
  assert.equal(body.request_id, response.headers.get("x-request-id"));
  assert.ok(!JSON.stringify(body).includes("hunter2"));
  const logged = lines.find((line) => line.includes("request failed"));
  assert.ok(logged?.includes(body.request_id) && logged.includes("hunter2"), String(logged));
  const page = await inject(fixture.app.handle, "/page/fail");
  const html = await page.text();
  assert.ok(html.includes(body.request_id.split("-")[0]) && !html.includes("hunter2"));
});

Deno.test("app shows the message of an exposed HttpError", async () => {
  using fixture = makeApp();
  const response = await inject(fixture.app.handle, "/api/teapot");
  assert.equal(response.status, 418);
  assert.deepEqual(await response.json(), { error: "short and stout" });
});

Deno.test("app turns a handler that produces no response into a 500", async () => {
  using fixture = makeApp();
  assert.equal((await inject(fixture.app.handle, "/api/nothing")).status, 500);
});

Deno.test("app reads JSON bodies: 201, 415 without JSON type, 400 invalid, 413 over the limit", async () => {
  using fixture = makeApp();
  const post = (body: string, type = "application/json") =>
    inject(fixture.app.handle, "/api/items", { method: "POST", headers: { "content-type": type }, body });
  const created = await post('{"a":1}');
  assert.equal(created.status, 201);
  assert.deepEqual(await created.json(), { received: { a: 1 } });
  assert.equal((await post('{"a":1}', "text/plain")).status, 415);
  assert.equal((await post('{"a":1}', "application/problem+json")).status, 201);
  const invalid = await post("{nope");
  assert.equal(invalid.status, 400);
  assert.deepEqual(await invalid.json(), { error: "Request body is not valid JSON" });
  const large = await post(JSON.stringify({ text: "x".repeat(100) }));
  assert.equal(large.status, 413);
});

Deno.test("app redirects a route path with a trailing slash to its canonical form, keeping the query", async () => {
  using fixture = makeApp();
  const response = await inject(fixture.app.handle, "/api/items/?page=2");
  assert.equal(response.status, 308);
  assert.equal(response.headers.get("location"), "/api/items?page=2");
});

Deno.test("app serves static files behind the routes and falls back to index.html for SPA paths", async () => {
  {
    using fixture = makeApp();
    assert.equal((await inject(fixture.app.handle, "/app.js")).status, 200);
    assert.equal((await inject(fixture.app.handle, "/dashboard")).status, 404);
    assert.equal((await inject(fixture.app.handle, "/app.js", { method: "POST" })).status, 405);
  }
  {
    using fixture = makeApp({ spaFallback: true });
    const page = await inject(fixture.app.handle, "/dashboard/settings");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>home<\/title>/);
    // Paths that look like files and API paths never fall back.
    assert.equal((await inject(fixture.app.handle, "/missing.js")).status, 404);
    assert.equal((await inject(fixture.app.handle, "/api/missing")).status, 404);
  }
});

Deno.test("request id: a sane incoming id is kept, anything else replaced", async () => {
  using fixture = makeApp();
  const kept = await inject(fixture.app.handle, "/api/items", { headers: { "x-request-id": "abc-123_x.y" } });
  assert.equal(kept.headers.get("x-request-id"), "abc-123_x.y");
  for (const bad of ["has space", "x".repeat(200), 'quote"d', "<script>"]) {
    const replaced = await inject(fixture.app.handle, "/api/items", { headers: { "x-request-id": bad } });
    const id = replaced.headers.get("x-request-id") ?? "";
    assert.notEqual(id, bad);
    assert.match(id, /^[a-z0-9]+-[a-z0-9]+$/);
  }
  const a = (await inject(fixture.app.handle, "/api/items")).headers.get("x-request-id");
  const b = (await inject(fixture.app.handle, "/api/items")).headers.get("x-request-id");
  assert.notEqual(a, b);
});

Deno.test("access log writes one line per request and never the query, Authorization or cookies", async () => {
  const lines: string[] = [];
  using fixture = makeApp({ lines });
  await inject(fixture.app.handle, "/api/items/7?token=s3cret", {
    headers: { authorization: "Bearer abc.def.ghi", cookie: "session=xyz" },
  });
  const access = lines.filter((line) => line.includes(" request "));
  assert.equal(access.length, 1);
  assert.match(
    access[0],
    /method=GET path=\/api\/items\/7 status=200 bytes=\d+ ms=[\d.]+ id=\S+ remote=127\.0\.0\.1:50000/,
  );
  for (const secret of ["s3cret", "abc.def.ghi", "xyz", "token"]) assert.ok(!access[0].includes(secret), secret);
});

Deno.test("context response helpers set the response they return", () => {
  const handler: Handler = (ctx: Context) => {
    const response = ctx.text("hi", 202);
    assert.equal(ctx.res, response);
    assert.throws(() => ctx.redirect("/a\r\nset-cookie: x"), HttpError);
  };
  return inject(createApp({ routes: routes(), handlers: { ...HANDLERS, "items.list": handler } }).handle, "/api/items")
    .then((response) => assert.equal(response.status, 202));
});
