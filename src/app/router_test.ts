import assert from "node:assert/strict";
import { Router } from "./router.ts";
import { parseRoutes, parseRoutesFile, RoutesFileError } from "./routes_file.ts";

const HANDLERS = ["items.list", "items.show", "items.create", "files.get", "users.me", "users.show"];
const known = new Set(HANDLERS);

function router(routes: { method: string; path: string; handler: string }[]): Router<string> {
  return new Router(parseRoutes(JSON.stringify(routes), known), (entry) => entry.handler);
}

const TABLE = router([
  { method: "GET", path: "/items", handler: "items.list" },
  { method: "POST", path: "/items", handler: "items.create" },
  { method: "GET", path: "/items/:id", handler: "items.show" },
  { method: "GET", path: "/users/me", handler: "users.me" },
  { method: "GET", path: "/users/:name", handler: "users.show" },
  { method: "GET", path: "/files/*path", handler: "files.get" },
]);

function found(method: string, path: string) {
  const match = TABLE.match(method, path);
  return match.kind === "handler" ? { handler: match.handler, params: match.params } : match;
}

Deno.test("router matches exact paths and runs GET handlers for HEAD", () => {
  assert.deepEqual(found("GET", "/items"), { handler: "items.list", params: {} });
  assert.deepEqual(found("HEAD", "/items"), { handler: "items.list", params: {} });
  assert.deepEqual(found("POST", "/items"), { handler: "items.create", params: {} });
});

Deno.test("router fills :param segments, percent-decoded once", () => {
  assert.deepEqual(found("GET", "/items/42"), { handler: "items.show", params: { id: "42" } });
  assert.deepEqual(found("GET", "/items/a%20b"), { handler: "items.show", params: { id: "a b" } });
  // Decoded once: %2525 is "%25", not "%".
  assert.deepEqual(found("GET", "/items/%2525"), { handler: "items.show", params: { id: "%25" } });
  // An encoded slash stays inside its segment.
  assert.deepEqual(found("GET", "/items/a%2Fb"), { handler: "items.show", params: { id: "a/b" } });
});

Deno.test("router prefers literal segments over parameters", () => {
  assert.deepEqual(found("GET", "/users/me"), { handler: "users.me", params: {} });
  assert.deepEqual(found("GET", "/users/ann"), { handler: "users.show", params: { name: "ann" } });
  assert.deepEqual(found("GET", "/users/%6De"), { handler: "users.me", params: {} });
});

Deno.test("router matches a trailing wildcard against the rest of the path", () => {
  assert.deepEqual(found("GET", "/files/a/b/c.txt"), { handler: "files.get", params: { path: "a/b/c.txt" } });
  assert.deepEqual(found("GET", "/files/"), { handler: "files.get", params: { path: "" } });
  assert.deepEqual(found("GET", "/files"), { kind: "none" });
});

Deno.test("router treats trailing slashes and empty segments as different paths", () => {
  assert.deepEqual(found("GET", "/items/"), { kind: "none" });
  assert.deepEqual(found("GET", "/items//"), { kind: "none" });
  assert.deepEqual(found("GET", "/nope"), { kind: "none" });
});

Deno.test("router answers OPTIONS and other methods with Allow", () => {
  assert.deepEqual(TABLE.match("OPTIONS", "/items"), { kind: "options", allow: "GET, HEAD, OPTIONS, POST" });
  assert.deepEqual(TABLE.match("DELETE", "/items"), { kind: "method-not-allowed", allow: "GET, HEAD, OPTIONS, POST" });
  assert.deepEqual(TABLE.match("DELETE", "/items/1"), { kind: "method-not-allowed", allow: "GET, HEAD, OPTIONS" });
});

Deno.test("router reports malformed percent-encoding", () => {
  assert.deepEqual(TABLE.match("GET", "/items/%E0%A4%A"), { kind: "bad-path" });
  assert.deepEqual(TABLE.match("GET", "/items/%zz"), { kind: "bad-path" });
});

Deno.test("routes file accepts the versioned and the flat format", () => {
  const entry = { method: "GET", path: "/items", handler: "items.list" };
  assert.deepEqual(parseRoutesFile(JSON.stringify({ version: 1, routes: [entry] }), known).routes, [entry]);
  assert.deepEqual(parseRoutes(JSON.stringify([entry]), known), [entry]);
  const mount = parseRoutesFile(
    JSON.stringify({ version: 1, routes: [], static: { mount: "/app", root: "public", spaFallback: true } }),
    known,
  ).static;
  assert.equal(mount.mount, "/app");
  assert.equal(mount.root, "public");
  assert.equal(mount.spaFallback, true);
});

Deno.test("routes file names the entry and the problem", () => {
  const cases: [unknown, RegExp][] = [
    [[{ method: "GET", path: "/x", handler: "nope" }], /entry 0: unknown handler "nope"/],
    [[{ method: "FETCH", path: "/x", handler: "items.list" }], /entry 0: unknown method "FETCH"/],
    [[{ method: "GET", path: "x", handler: "items.list" }], /entry 0: bad path "x": must start with \//],
    [[{ method: "GET", path: "/a//b", handler: "items.list" }], /entry 0: bad path "\/a\/\/b": empty segment/],
    [[{ method: "GET", path: "/a/*/b", handler: "items.list" }], /wildcard must be the last segment/],
    [[{ method: "GET", path: "/a/:id/:id", handler: "items.list" }], /parameter id appears twice/],
    [
      [{ method: "GET", path: "/x/:a", handler: "items.list" }, {
        method: "GET",
        path: "/x/:b",
        handler: "items.show",
      }],
      /entry 1: duplicate route GET \/x\/:b/,
    ],
    [{ version: 2, routes: [] }, /unsupported version 2/],
    [{ version: 1, routes: [], static: { mount: "app" } }, /static.mount: bad mount/],
    [{ version: 1, routes: [], static: { cacheControl: [{ match: "**", value: "x" }] } }, /cacheControl 0: bad match/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => parseRoutesFile(JSON.stringify(document), known),
      (e: unknown) => e instanceof RoutesFileError && message.test(e.message),
      String(message),
    );
  }
  assert.throws(() => parseRoutesFile("{", known), /not valid JSON/);
});
