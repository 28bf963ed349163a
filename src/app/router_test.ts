import assert from "node:assert/strict";
import type { RequestHandler } from "../http/message.ts";
import { Router } from "./router.ts";
import { parseRoutes, RoutesFileError } from "./routes_file.ts";

const show: RequestHandler = () => ({ status: 200 });
const create: RequestHandler = () => ({ status: 201 });
const handlers = { "items.show": show, "items.create": create };
const known = new Set(Object.keys(handlers));

Deno.test("router runs GET handlers for HEAD and answers OPTIONS and 405 with Allow", () => {
  const router = new Router(
    parseRoutes(
      JSON.stringify([
        { method: "GET", path: "/items", handler: "items.show" },
        { method: "POST", path: "/items", handler: "items.create" },
      ]),
      known,
    ),
    handlers,
  );
  const head = router.match("HEAD", "/items");
  assert.equal(head.kind === "handler" && head.handler, show);
  assert.deepEqual(router.match("OPTIONS", "/items"), { kind: "options", allow: "GET, HEAD, OPTIONS, POST" });
  assert.deepEqual(router.match("DELETE", "/items"), {
    kind: "method-not-allowed",
    allow: "GET, HEAD, OPTIONS, POST",
  });
  assert.deepEqual(router.match("GET", "/items/"), { kind: "none" });
});

Deno.test("routes file accepts the versioned and the flat format", () => {
  const entry = { method: "GET", path: "/items", handler: "items.show" };
  assert.deepEqual(parseRoutes(JSON.stringify({ version: 1, routes: [entry] }), known), [entry]);
  assert.deepEqual(parseRoutes(JSON.stringify([entry]), known), [entry]);
});

Deno.test("routes file names the entry and the problem", () => {
  const cases: [unknown, RegExp][] = [
    [[{ method: "GET", path: "/x", handler: "nope" }], /entry 0: unknown handler "nope"/],
    [[{ method: "FETCH", path: "/x", handler: "items.show" }], /entry 0: unknown method "FETCH"/],
    [[{ method: "GET", path: "x", handler: "items.show" }], /entry 0: bad path "x"/],
    [
      [{ method: "GET", path: "/x", handler: "items.show" }, { method: "GET", path: "/x", handler: "items.show" }],
      /entry 1: duplicate route GET \/x/,
    ],
    [{ version: 2, routes: [] }, /unsupported version 2/],
  ];
  for (const [document, message] of cases) {
    assert.throws(
      () => parseRoutes(JSON.stringify(document), known),
      (e: unknown) => e instanceof RoutesFileError && message.test(e.message),
    );
  }
  assert.throws(() => parseRoutes("{", known), /not valid JSON/);
});
