import assert from "node:assert/strict";
import { HeaderBlock } from "../../http/header_block.ts";
import type { HttpRequest } from "../../http/message.ts";
import { silentLogger } from "../../log.ts";
import { createApp, type Handler } from "../app.ts";
import type { Middleware } from "../compose.ts";
import { HttpError } from "../http_error.ts";
import { inject } from "../inject.ts";
import { staticJson } from "../responses.ts";
import type { RoutesFile } from "../routes_file.ts";
import { errorHandler } from "./error_handler.ts";
import { DEFAULT_PAGE_CSP, NON_HTML_CSP, securityHeaders } from "./security_headers.ts";

const OWN_CSP = "default-src 'none'; script-src 'self' 'nonce-abc'";

const HANDLERS: Record<string, Handler> = {
  json: (ctx) => ctx.json({ ok: true }),
  fixed: () => staticJson(200, { fixed: true }),
  html: (ctx) => ctx.html("<!doctype html><title>x</title>"),
  xhtml: (ctx) => ctx.text("<html/>", 200, new HeaderBlock([["content-type", "application/xhtml+xml"]])),
  text: (ctx) => ctx.text("plain"),
  empty: (ctx) => ctx.status(204),
  redirect: (ctx) => ctx.redirect("/elsewhere"),
  fail: () => {
    throw new Error("boom");
  },
  teapot: () => {
    throw new HttpError(418, "short and stout");
  },
  // A page with its own policy, given as a plain record with mixed-case names.
  own: () => ({
    status: 200,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": OWN_CSP,
      "X-Content-Type-Options": "nosniff",
    },
    body: "<!doctype html>",
  }),
  // Fields already attached as extras (as a response finished elsewhere would carry them).
  extras: () => ({
    status: 200,
    headers: new HeaderBlock([["content-type", "text/html"]]),
    body: "<!doctype html>",
    extra: { blocks: [], fields: [["Content-Security-Policy", OWN_CSP]], trusted: [["x-frame-options", "SAMEORIGIN"]] },
  }),
  // A revalidated resource: a 304 has no content type, whatever it revalidates.
  notModified: () => ({ status: 304, headers: new HeaderBlock([["etag", '"v1"']]), body: null }),
  // The same HeaderBlock every time (like a static file): the shape is cached per block.
  ownBlock: () => ({ status: 200, headers: OWN_BLOCK, body: "{}" }),
};
const OWN_BLOCK = new HeaderBlock([["content-type", "application/json"], ["x-frame-options", "SAMEORIGIN"]]);

const ROUTES: RoutesFile = {
  routes: Object.keys(HANDLERS).map((name) => ({ method: "GET", path: `/api/${name}`, handler: name }))
    .concat([
      { method: "GET", path: "/page", handler: "html" },
      { method: "GET", path: "/page/fail", handler: "fail" },
    ]),
  static: { mount: "/", root: "webroot", spaFallback: false, cacheControl: [] },
};

function makeApp(middleware: Middleware[] = [securityHeaders(), errorHandler(silentLogger)]) {
  return createApp({ routes: ROUTES, handlers: HANDLERS, middleware });
}

const COMMON = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
};

function assertFields(response: Response, csp: string, what: string): void {
  for (const [name, value] of Object.entries(COMMON)) {
    assert.equal(response.headers.get(name), value, `${what}: ${name}`);
  }
  assert.equal(response.headers.get("content-security-policy"), csp, `${what}: content-security-policy`);
  assert.equal(response.headers.get("strict-transport-security"), null, `${what}: no HSTS without TLS`);
}

Deno.test("security headers: every field on JSON, text, empty and redirect responses; CSP is framing only", async () => {
  const app = makeApp();
  for (const path of ["/api/json", "/api/fixed", "/api/text", "/api/empty", "/api/redirect"]) {
    const response = await inject(app.handle, path);
    await response.body?.cancel();
    assertFields(response, NON_HTML_CSP, path);
  }
});

Deno.test("security headers: HTML responses get the page policy, and only they do", async () => {
  const app = makeApp();
  for (const path of ["/page", "/api/html", "/api/xhtml"]) {
    const response = await inject(app.handle, path);
    await response.body?.cancel();
    assertFields(response, DEFAULT_PAGE_CSP, path);
  }
  const json = await inject(app.handle, "/api/json");
  assert.ok(!json.headers.get("content-security-policy")!.includes("default-src"));
  // The page policy forbids inline script and style and ends by refusing framing.
  assert.ok(!DEFAULT_PAGE_CSP.includes("unsafe-inline"));
  assert.match(DEFAULT_PAGE_CSP, /script-src 'self'; style-src 'self'; img-src 'self' data:/);
  assert.match(DEFAULT_PAGE_CSP, /frame-ancestors 'none'$/);
});

Deno.test("security headers: a 304 carries no content-security-policy, so a cached page keeps its own", async () => {
  // A 304's fields replace the cached ones: NON_HTML_CSP there would lift the page's script restrictions.
  const app = makeApp();
  const overTls = (request: HttpRequest) => app.handle({ ...request, secure: true });
  for (const handler of [app.handle, overTls]) {
    const response = await inject(handler, "/api/notModified");
    assert.equal(response.status, 304);
    assert.equal(response.headers.get("content-security-policy"), null);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", "the other fields are still there");
  }
});

Deno.test("security headers: error responses replaced by the error handler carry them (JSON and HTML)", async () => {
  const app = makeApp();
  const cases: [string, number, string][] = [
    ["/api/fail", 500, NON_HTML_CSP], // JSON error
    ["/api/teapot", 418, NON_HTML_CSP],
    ["/api/nowhere", 404, NON_HTML_CSP],
    ["/page/fail", 500, DEFAULT_PAGE_CSP], // HTML error page
    ["/nowhere", 404, DEFAULT_PAGE_CSP],
  ];
  for (const [path, status, csp] of cases) {
    const response = await inject(app.handle, path);
    assert.equal(response.status, status, path);
    await response.body?.cancel();
    assertFields(response, csp, path);
  }
});

Deno.test("security headers: an error no middleware below handled gets the set for the error as rendered", async () => {
  const app = makeApp([securityHeaders()]);
  const response = await inject(app.handle, "/api/fail");
  assert.equal(response.status, 500);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  await response.body?.cancel();
  assertFields(response, NON_HTML_CSP, "last-resort error");
});

Deno.test("security headers: a field the response already has is not added again", async () => {
  const app = makeApp();
  const own = await inject(app.handle, "/api/own");
  assert.equal(own.headers.get("content-security-policy"), OWN_CSP);
  assert.equal(own.headers.get("x-content-type-options"), "nosniff");
  assert.equal(own.headers.get("referrer-policy"), COMMON["referrer-policy"]);
  assert.equal(own.headers.get("x-frame-options"), "DENY");
  const extras = await inject(app.handle, "/api/extras");
  assert.equal(extras.headers.get("content-security-policy"), OWN_CSP);
  assert.equal(extras.headers.get("x-frame-options"), "SAMEORIGIN");
  assert.equal(extras.headers.get("x-content-type-options"), "nosniff");
  for (let i = 0; i < 2; i++) {
    const block = await inject(app.handle, "/api/ownBlock");
    assert.equal(block.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(block.headers.get("content-security-policy"), NON_HTML_CSP);
    assert.equal(block.headers.get("x-content-type-options"), "nosniff");
  }
});

Deno.test("security headers: strict-transport-security only for requests that came over TLS", async () => {
  const app = makeApp();
  const overTls = (request: HttpRequest) => app.handle({ ...request, secure: true });
  const secure = await inject(overTls, "/api/json");
  assert.equal(secure.headers.get("strict-transport-security"), "max-age=31536000");
  assert.equal(secure.headers.get("x-content-type-options"), "nosniff");
  const page = await inject(overTls, "/page");
  assert.equal(page.headers.get("strict-transport-security"), "max-age=31536000");
  assert.equal(page.headers.get("content-security-policy"), DEFAULT_PAGE_CSP);
  const plain = await inject(app.handle, "/api/json");
  assert.equal(plain.headers.get("strict-transport-security"), null);

  const custom = makeApp([securityHeaders({ hsts: "max-age=60; includeSubDomains", referrerPolicy: "no-referrer" })]);
  const tuned = await inject((request) => custom.handle({ ...request, secure: true }), "/api/json");
  assert.equal(tuned.headers.get("strict-transport-security"), "max-age=60; includeSubDomains");
  assert.equal(tuned.headers.get("referrer-policy"), "no-referrer");
  const none = makeApp([securityHeaders({ hsts: null })]);
  const off = await inject((request) => none.handle({ ...request, secure: true }), "/api/json");
  assert.equal(off.headers.get("strict-transport-security"), null);
  assert.equal(off.headers.get("x-frame-options"), "DENY");
});

Deno.test("security headers: each field is in the finished response exactly once", async () => {
  const app = makeApp();
  for (const path of ["/api/own", "/api/extras", "/api/json", "/page"]) {
    const response = await app.handle(await requestFor(path));
    const lines = fieldLines(response);
    for (const name of [...Object.keys(COMMON), "content-security-policy"]) {
      assert.equal(lines.filter((line) => line === name).length, 1, `${path}: ${name}`);
    }
  }
});

/** The request inject would build, captured from a pass-through handler. */
async function requestFor(path: string): Promise<HttpRequest> {
  let captured: HttpRequest | null = null;
  await inject((request) => {
    captured = request;
    return { status: 204 };
  }, path);
  return captured!;
}

function fieldLines(response: Awaited<ReturnType<ReturnType<typeof makeApp>["handle"]>>): string[] {
  const names: string[] = [];
  const add = (entries: Iterable<readonly [string, string]>) => {
    for (const [name] of entries) names.push(name.toLowerCase());
  };
  add(HeaderBlock.from(response.headers).entries);
  for (const block of response.extra?.blocks ?? []) add(block.entries);
  add(response.extra?.fields ?? []);
  add(response.extra?.trusted ?? []);
  return names;
}
