import assert from "node:assert/strict";
import { type AccessEntry, createLogger, type LogLevel } from "./log.ts";

const ENTRY: AccessEntry = {
  method: "GET",
  path: "/api/items/7",
  status: 200,
  bytes: 42,
  ms: 3,
  id: "abc-1",
  remote: "127.0.0.1:5000",
};

function capture(format: "text" | "json", level: LogLevel = "info") {
  const lines: string[] = [];
  return { lines, logger: createLogger({ format, level, write: (line) => lines.push(line) }) };
}

Deno.test("text access lines carry every field, quoting a path that needs it", () => {
  const { lines, logger } = capture("text");
  logger.access(ENTRY);
  logger.access({ ...ENTRY, path: '/a b"c', bytes: "-" });
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}request method=GET path=\/api\/items\/7 status=200 bytes=42 ms=3 id=abc-1 remote=127\.0\.0\.1:5000$/,
  );
  assert.match(lines[1], / path="\/a b\\"c" status=200 bytes=- /);
});

Deno.test("JSON access lines are JSON objects with the same fields", () => {
  const { lines, logger } = capture("json");
  logger.access({ ...ENTRY, path: '/q"uote' });
  const parsed = JSON.parse(lines[0]);
  assert.equal(parsed.level, "info");
  assert.equal(parsed.msg, "request");
  assert.deepEqual(
    { ...parsed, time: undefined },
    { time: undefined, level: "info", msg: "request", ...ENTRY, path: '/q"uote' },
  );
});

Deno.test("levels below the minimum are dropped, access lines included", () => {
  const { lines, logger } = capture("text", "warn");
  logger.info("hidden");
  logger.access(ENTRY);
  logger.warn("shown", { n: 1, s: "two words" });
  assert.equal(lines.length, 1);
  assert.match(lines[0], /WARN {2}shown n=1 s="two words"$/);
  assert.equal(logger.enabled("info"), false);
  assert.equal(logger.enabled("error"), true);
});

Deno.test("buffered stderr keeps every line, in order, and flush writes what is left before exit", async () => {
  const script = `
    import { createLogger } from ${JSON.stringify(new URL("./log.ts", import.meta.url).href)};
    const logger = createLogger({ format: "text" });
    for (let i = 0; i < 2000; i++) logger.info("line", { i });
    logger.error("failure", { i: 2000 });
    for (let i = 2001; i < 2100; i++) logger.info("line", { i });
    logger.flush();
    Deno.exit(0);
  `;

  const { stderr, success } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(success);
  const numbers = new TextDecoder().decode(stderr).trim().split("\n").map((line) =>
    Number(/ i=(\d+)$/.exec(line)?.[1])
  );
  assert.deepEqual(numbers, Array.from({ length: 2100 }, (_, i) => i));
});

Deno.test("access lines written straight into the stderr buffer match the text and JSON templates", async () => {
  for (const format of ["text", "json"] as const) {
    const script = `
      import { createLogger } from ${JSON.stringify(new URL("./log.ts", import.meta.url).href)};
      const logger = createLogger({ format: ${JSON.stringify(format)} });
      logger.access(${JSON.stringify(ENTRY)});
      logger.access(${JSON.stringify({ ...ENTRY, path: '/a"b', bytes: "-" })});
      logger.flush();
    `;
    const { stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", script],
      stdout: "null",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(stderr).trim().split("\n");
    const { lines: expected, logger } = capture(format);
    logger.access(ENTRY);
    logger.access({ ...ENTRY, path: '/a"b', bytes: "-" });
    const withoutTime = (line: string) => line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, "TIME");
    assert.deepEqual(lines.map(withoutTime), expected.map(withoutTime));
  }
});
