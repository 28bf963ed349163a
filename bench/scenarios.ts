/** What `deno task bench` measures: one row per scenario, and the files the web root holds. */

export interface Scenario {
  /** Unique; `--only` matches a substring of it. */
  readonly name: string;
  readonly path: string;
  /** wrk connections (always one wrk thread). */
  readonly connections: number;
  /** Requests per write: HTTP/1.1 pipelining through bench/wrk/pipeline.lua. */
  readonly pipeline?: number;
  /** A different query on every request (bench/wrk/unique.lua): no two heads are identical. */
  readonly uniqueHeads?: boolean;
  /** The server measured: the whole of h1server (default), or its bare engine (no app layer). */
  readonly subject?: "h1server" | "bare engine";
  /** The server it is compared with; Deno.serve unless this says the bare engine (the app stack's cost). */
  readonly against?: "Deno.serve" | "bare engine";
  /** Sent as a POST with this body and content type, through bench/wrk/post.lua. */
  readonly body?: { readonly contentType: string; readonly text: string };
}

/** `size` bytes of numbered ASCII lines: the same content on every run. */
export function deterministicText(size: number): string {
  let text = "";
  for (let line = 1; text.length < size; line++) {
    text += `${String(line).padStart(5, "0")} the quick brown fox jumps over the lazy dog 0123456789\n`;
  }
  return text.slice(0, size);
}

/** A JSON object of exactly `size` bytes: a few records, padded by a string field. */
export function jsonOfSize(size: number): string {
  const items = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}`, tags: ["bench"], ok: true }));
  const padding = size - JSON.stringify({ items, note: "" }).length;
  if (padding < 0) throw new Error(`jsonOfSize: ${size} bytes is too small`);
  return JSON.stringify({ items, note: "x".repeat(padding) });
}

/** Written into a temporary web root that both servers serve. */
export const WEB_ROOT_FILES: Readonly<Record<string, string>> = {
  "static-16k.txt": deterministicText(16 * 1024),
};

export const SCENARIOS: readonly Scenario[] = [
  // The engine alone (HTTP/1.1 parsing, framing, writing) against Deno.serve's.
  { name: "engine json-get c16", path: "/api/health", connections: 16, subject: "bare engine" },
  { name: "engine pipelined-16", path: "/api/health", connections: 16, pipeline: 16, subject: "bare engine" },
  // The product as shipped (router, middleware, access log) against Deno.serve with the same routes.
  { name: "json-get c16", path: "/api/health", connections: 16 },
  { name: "json-get c128", path: "/api/health", connections: 128 },
  { name: "json-get unique-heads c16", path: "/api/health", connections: 16, uniqueHeads: true },
  { name: "static-16k c16", path: "/static-16k.txt", connections: 16 },
  { name: "pipelined-16 c16", path: "/api/health", connections: 16, pipeline: 16 },
  {
    name: "post-1k c16",
    path: "/api/data",
    connections: 16,
    body: { contentType: "application/json", text: jsonOfSize(1024) },
  },
  // What the app stack costs on top of the engine.
  { name: "full stack c16", path: "/api/health", connections: 16, against: "bare engine" },
];
