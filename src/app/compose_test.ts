import assert from "node:assert/strict";
import { compose, type Middleware, NextCalledTwiceError } from "./compose.ts";
import { Context } from "./context.ts";
import { inject } from "./inject.ts";
import { createApp } from "./app.ts";

function context(): Context {
  return new Context({} as never);
}

Deno.test("compose runs middleware in order around the endpoint", async () => {
  const trace: string[] = [];
  const wrap = (name: string): Middleware => async (_ctx, next) => {
    trace.push(`${name} in`);
    await next();
    trace.push(`${name} out`);
  };
  await compose([wrap("a"), wrap("b")], () => void trace.push("endpoint"))(context());
  assert.deepEqual(trace, ["a in", "b in", "endpoint", "b out", "a out"]);
});

Deno.test("compose stops when a middleware does not call next", async () => {
  let reached = false;
  await compose([async () => {}], () => void (reached = true))(context());
  assert.equal(reached, false);
});

Deno.test("compose refuses a second next() call", async () => {
  const twice: Middleware = async (_ctx, next) => {
    await next();
    await next();
  };
  await assert.rejects(compose([twice], () => {})(context()), NextCalledTwiceError);
});

Deno.test("compose propagates an endpoint error to the outer middleware", async () => {
  let caught: unknown = null;
  const catcher: Middleware = async (_ctx, next) => {
    try {
      await next();
    } catch (error) {
      caught = error;
    }
  };
  const boom = new Error("boom");
  await compose([catcher, async (_ctx, next) => await next()], () => {
    throw boom;
  })(context());
  assert.equal(caught, boom);
});

Deno.test("an app without error middleware still answers a thrown error with a generic 500", async () => {
  const app = createApp({
    routes: {
      routes: [{ method: "GET", path: "/boom", handler: "boom" }],
      static: { mount: "/", root: "webroot", spaFallback: false, cacheControl: [] },
    },
    handlers: {
      boom: () => {
        throw new Error("secret detail /etc/passwd");
      },
    },
  });
  const response = await inject(app.handle, "/boom");
  assert.equal(response.status, 500);
  const text = await response.text();
  assert.ok(!text.includes("secret detail"), text);
});
