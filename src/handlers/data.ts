/** Public sample API: GET /api/data returns sample JSON; POST /api/data echoes a JSON body. */
import type { Context } from "../app/context.ts";
import { staticJson } from "../app/responses.ts";
import type { HttpResponse } from "../http/message.ts";

const SAMPLE = staticJson(200, {
  message: "Public sample data",
  items: [
    { id: 1, name: "alpha", tags: ["first"] },
    { id: 2, name: "beta", tags: ["second"] },
    { id: 3, name: "gamma", tags: ["third"] },
  ],
});

export function list(): HttpResponse {
  return SAMPLE;
}

/** 415 without a JSON content type, 400 for invalid JSON, 413 over the body limit (all from ctx.req.json()). */
export async function create(ctx: Context): Promise<HttpResponse> {
  const received = await ctx.req.json();
  return ctx.json({ message: "Data received", received }, 201);
}
