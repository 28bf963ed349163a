/** Public sample API: GET /api/data returns sample JSON; POST /api/data echoes a JSON body. */
import { json, jsonError, staticJson } from "../app/responses.ts";
import type { HttpRequest, HttpResponse } from "../http/message.ts";

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

export async function create(request: HttpRequest): Promise<HttpResponse> {
  const type = request.headers.get("content-type");
  if (type === null || !/^application\/json\s*(;|$)/i.test(type)) {
    return jsonError(415, "Content-Type must be application/json");
  }
  let received: unknown;
  try {
    received = await request.body.json();
  } catch (error) {
    if (error instanceof SyntaxError) return jsonError(400, "Request body is not valid JSON");
    throw error;
  }
  return json(201, { message: "Data received", received });
}
