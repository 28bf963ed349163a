import assert from "node:assert/strict";
import { silentLogger } from "../../log.ts";
import { createApp, type Handler } from "../app.ts";
import type { Middleware } from "../compose.ts";
import { HttpError } from "../http_error.ts";
import { inject, type InjectInit } from "../inject.ts";
import type { RoutesFile } from "../routes_file.ts";
import { cors, CorsConfigError, type CorsOptions, echoableNames, normalizeOrigins, parseOrigins } from "./cors.ts";
import { errorHandler } from "./error_handler.ts";
import { requestId } from "./request_id.ts";

const ALLOWED = "https://app.example.com";
const OTHER_ALLOWED = "http://localhost:5173";

/** Origins that must never be reflected when only ALLOWED and OTHER_ALLOWED are configured. */
const NOT_ALLOWED = [
  "https://evil.example",
  "https://app.example.com.evil.example",
  "https://evilapp.example.com",
  "http://app.example.com",
  "https://app.example.com:8443",
  "https://APP.EXAMPLE.COM",
  "https://app.example.com/",
  "null",
  "",
  `${ALLOWED}, https://evil.example`,
];

function makeApp(options: CorsOptions | null) {
  let calls = 0;
  const handlers: Record<string, Handler> = {
    list: (ctx) => {
      calls++;
      return ctx.json({ items: [] });
    },
    fail: () => {
      throw new HttpError(409, "conflict");
    },
  };
  const routes: RoutesFile = {
    routes: [
      { method: "GET", path: "/api/items", handler: "list" },
      { method: "DELETE", path: "/api/items", handler: "list" },
      { method: "GET", path: "/api/fail", handler: "fail" },
    ],
    static: { mount: "/", root: "webroot", spaFallback: false, cacheControl: [] },
  };
  const middleware: Middleware[] = [requestId(), errorHandler(silentLogger)];
  if (options !== null) middleware.push(cors(options));
  const app = createApp({ routes, handlers, middleware });
  return { handle: app.handle, calls: () => calls };
}

const preflight = (origin: string, headers: Record<string, string> = {}): InjectInit => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": "DELETE", ...headers },
});

const CORS_FIELDS = [
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
  "access-control-max-age",
];

function assertNoCors(response: Response, what: string): void {
  for (const name of CORS_FIELDS) assert.equal(response.headers.get(name), null, `${what}: ${name}`);
}

Deno.test("cors: an allowed origin is answered with itself, vary: origin and the exposed fields", async () => {
  const app = makeApp({ origins: [ALLOWED, OTHER_ALLOWED] });
  for (const origin of [ALLOWED, OTHER_ALLOWED]) {
    const response = await inject(app.handle, "/api/items", { headers: { origin } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), origin);
    assert.equal(response.headers.get("vary"), "origin");
    assert.equal(response.headers.get("access-control-expose-headers"), "x-request-id");
    assert.equal(response.headers.get("access-control-allow-credentials"), null);
    assert.deepEqual(await response.json(), { items: [] });
  }
});

Deno.test("cors: a disallowed origin is never reflected, but the response still varies on origin", async () => {
  const app = makeApp({ origins: [ALLOWED, OTHER_ALLOWED] });
  for (const origin of NOT_ALLOWED) {
    const response = await inject(app.handle, "/api/items", { headers: { origin } });
    assert.equal(response.status, 200, origin);
    assertNoCors(response, origin);
    assert.equal(response.headers.get("vary"), "origin", origin);
    await response.body?.cancel();
  }
});

Deno.test("cors: a request without Origin gets no CORS fields and no vary", async () => {
  const app = makeApp({ origins: [ALLOWED] });
  const response = await inject(app.handle, "/api/items");
  assertNoCors(response, "no origin");
  assert.equal(response.headers.get("vary"), null);
  await response.body?.cancel();
});

Deno.test("cors: allowed preflight is 204 with methods, echoed headers and max-age; the handler does not run", async () => {
  const app = makeApp({ origins: [ALLOWED] });
  const response = await inject(
    app.handle,
    "/api/items",
    preflight(ALLOWED, { "access-control-request-headers": "Content-Type, X-Custom-Thing" }),
  );
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), ALLOWED);
  assert.equal(response.headers.get("access-control-allow-methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
  assert.equal(response.headers.get("access-control-allow-headers"), "content-type, x-custom-thing");
  assert.equal(response.headers.get("access-control-max-age"), "600");
  assert.equal(response.headers.get("vary"), "origin, access-control-request-headers");
  assert.ok(response.headers.get("x-request-id"));
  assert.equal(app.calls(), 0);
  // A preflight for a path no route knows is answered the same way (CORS is per origin, not per route).
  const unknown = await inject(app.handle, "/api/nowhere", preflight(ALLOWED));
  assert.equal(unknown.status, 204);
  assert.equal(unknown.headers.get("access-control-allow-headers"), null);
  assert.equal(unknown.headers.get("vary"), "origin");
});

Deno.test("cors: preflight asking for headers that are not plain names gets no allow-headers", async () => {
  const app = makeApp({ origins: [ALLOWED] });
  const response = await inject(
    app.handle,
    "/api/items",
    preflight(ALLOWED, { "access-control-request-headers": "x-ok, bad header" }),
  );
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-headers"), null);
  assert.equal(echoableNames("a,, B ,c"), "a, b, c");
  assert.equal(echoableNames("x".repeat(2000)), null);
  assert.equal(echoableNames(" , "), null);
  assert.equal(echoableNames("x-é"), null);
});

Deno.test("cors: disallowed preflight is 403 without any CORS field, and never reaches the handler", async () => {
  const app = makeApp({ origins: [ALLOWED] });
  for (const origin of NOT_ALLOWED) {
    const response = await inject(app.handle, "/api/items", preflight(origin));
    assert.equal(response.status, 403, origin);
    assertNoCors(response, origin);
    assert.equal(response.headers.get("vary"), "origin", origin);
    assert.deepEqual(await response.json(), { error: "Origin not allowed" });
  }
  assert.equal(app.calls(), 0);
});

Deno.test("cors: OPTIONS without Access-Control-Request-Method is an ordinary request", async () => {
  const app = makeApp({ origins: [ALLOWED] });
  const response = await inject(app.handle, "/api/items", { method: "OPTIONS", headers: { origin: ALLOWED } });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("allow"), "DELETE, GET, HEAD, OPTIONS");
  assert.equal(response.headers.get("access-control-allow-origin"), ALLOWED);
  assert.equal(response.headers.get("access-control-allow-methods"), null);
});

Deno.test("cors: error responses carry the CORS fields so the page can read them", async () => {
  const app = makeApp({ origins: [ALLOWED] });
  for (const path of ["/api/fail", "/api/nowhere"]) {
    const response = await inject(app.handle, path, { headers: { origin: ALLOWED } });
    assert.ok(response.status >= 400);
    assert.equal(response.headers.get("access-control-allow-origin"), ALLOWED, path);
    assert.equal(response.headers.get("vary"), "origin", path);
    await response.body?.cancel();
  }
});

Deno.test("cors: not configured means no CORS fields and no vary, whatever the request says", async () => {
  for (const app of [makeApp(null), makeApp({ origins: [] }), makeApp({ origins: [" ", ""] })]) {
    const actual = await inject(app.handle, "/api/items", { headers: { origin: ALLOWED } });
    assertNoCors(actual, "actual");
    assert.equal(actual.headers.get("vary"), null);
    await actual.body?.cancel();
    // A preflight goes to the router like any OPTIONS request.
    const pre = await inject(app.handle, "/api/items", preflight(ALLOWED));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("allow"), "DELETE, GET, HEAD, OPTIONS");
    assertNoCors(pre, "preflight");
  }
});

Deno.test("cors: credentials add allow-credentials; configured lists replace the defaults", async () => {
  const app = makeApp({
    origins: [ALLOWED],
    credentials: true,
    methods: ["GET", "POST"],
    allowHeaders: ["content-type", "authorization"],
    exposeHeaders: [],
    maxAge: 60,
  });
  const actual = await inject(app.handle, "/api/items", { headers: { origin: ALLOWED } });
  assert.equal(actual.headers.get("access-control-allow-origin"), ALLOWED);
  assert.equal(actual.headers.get("access-control-allow-credentials"), "true");
  assert.equal(actual.headers.get("access-control-expose-headers"), null);
  await actual.body?.cancel();
  const pre = await inject(
    app.handle,
    "/api/items",
    preflight(ALLOWED, { "access-control-request-headers": "x-anything" }),
  );
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
  assert.equal(pre.headers.get("access-control-allow-methods"), "GET, POST");
  assert.equal(pre.headers.get("access-control-allow-headers"), "content-type, authorization");
  assert.equal(pre.headers.get("access-control-max-age"), "60");
  assert.equal(pre.headers.get("vary"), "origin");
});

Deno.test("cors: * allows any origin without credentials, on every response, without vary", async () => {
  const app = makeApp({ origins: ["*"] });
  for (const headers of [{ origin: "https://anywhere.example" }, {}] as Record<string, string>[]) {
    const response = await inject(app.handle, "/api/items", { headers });
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(response.headers.get("access-control-allow-credentials"), null);
    assert.equal(response.headers.get("vary"), null);
    await response.body?.cancel();
  }
  const pre = await inject(app.handle, "/api/items", preflight("https://anywhere.example"));
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.throws(() => cors({ origins: ["*"], credentials: true }), CorsConfigError);
});

Deno.test("cors: origin lists are validated and normalised the way browsers serialise Origin", () => {
  assert.deepEqual(parseOrigins(""), []);
  assert.deepEqual(parseOrigins(" , "), []);
  assert.deepEqual(
    parseOrigins("https://App.Example.com, https://app.example.com:443/, http://localhost:5173,https://a.example"),
    ["https://app.example.com", "http://localhost:5173", "https://a.example"],
  );
  assert.deepEqual(normalizeOrigins(["*"]), ["*"]);
  for (
    const bad of [
      "app.example.com",
      "https://app.example.com/path",
      "https://app.example.com?x",
      "https://app.example.com#x",
      "https://user@app.example.com",
      "ftp://app.example.com",
      "null",
      "*.example.com",
    ]
  ) {
    assert.throws(() => parseOrigins(bad), CorsConfigError, bad);
  }
  assert.throws(() => parseOrigins("*, https://app.example.com"), CorsConfigError);
  assert.throws(() => cors({ origins: [ALLOWED], maxAge: -1 }), CorsConfigError);
  assert.throws(() => cors({ origins: [ALLOWED], allowHeaders: ["bad header"] }), CorsConfigError);
});
