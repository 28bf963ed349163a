import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import type { HttpRequest } from "../http/message.ts";
import { createApp } from "./app.ts";
import { inject } from "./inject.ts";
import { CacheRules } from "./static/cache_rules.ts";
import { etagListMatches, ifRangeHolds, parseHttpDate } from "./static/conditional.ts";
import { chooseCoding } from "./static/encoding.ts";
import { fileStream } from "./static/file_stream.ts";
import { IGNORE_RANGE, MAX_RANGES, parseRange, UNSATISFIABLE } from "./static/range.ts";
import { boundaryOf, parseByteranges } from "./static/testing.ts";
import { safeSegments, StaticFiles, type StaticFilesOptions } from "./static_files.ts";

Deno.test("static path check refuses every traversal shape before touching the disk", () => {
  const refused = [
    "/../.env",
    "/%2e%2e/.env",
    "/..%2f.env",
    "/..%2F.env",
    "/%2e%2e%2f.env",
    "/a/%5c..%5c.env",
    "/a\\..\\.env",
    "/%00",
    "/a%00.html",
    "//etc/passwd",
    "/a//b",
    "/./index.html",
    "/a/..",
    "/%E0%A4%A",
    "relative",
  ];
  for (const path of refused) assert.equal(safeSegments(path), null, path);
});

Deno.test("static path check decodes once and keeps double encoding literal", () => {
  assert.deepEqual(safeSegments("/%252e%252e/x"), ["%2e%2e", "x"]);
  assert.deepEqual(safeSegments("/caf%C3%A9/menu.html"), ["café", "menu.html"]);
  assert.deepEqual(safeSegments("/dir/"), ["dir"]);
  assert.deepEqual(safeSegments("/"), []);
});

Deno.test("static files hide dotfiles, refuse symlinks out of the root, and serve index.html", async () => {
  const outside = Deno.makeTempDirSync();
  const root = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(outside, "secret.txt"), "secret");
    Deno.writeTextFileSync(join(root, ".env"), "JWT_SECRET_KEY=x");
    Deno.writeTextFileSync(join(root, "index.html"), "<h1>home</h1>");
    Deno.mkdirSync(join(root, "docs"));
    Deno.writeTextFileSync(join(root, "docs", "index.html"), "<h1>docs</h1>");
    Deno.symlinkSync(join(outside, "secret.txt"), join(root, "leak.txt"));
    const files = new StaticFiles({ root });

    assert.deepEqual(await files.lookup("/.env"), { kind: "refused", status: 404 });
    assert.deepEqual(await files.lookup("/leak.txt"), { kind: "refused", status: 404 });
    assert.deepEqual(await files.lookup("/docs"), { kind: "redirect", location: "/docs/" });
    const home = await files.lookup("/");
    assert.equal(home.kind, "file");
    if (home.kind === "file") assert.equal(new TextDecoder().decode(home.file.bytes!), "<h1>home</h1>");
    const docs = await files.lookup("/docs/");
    assert.equal(docs.kind, "file");
    if (docs.kind === "file") assert.equal(docs.file.headers.get("content-type"), "text/html; charset=utf-8");
  } finally {
    Deno.removeSync(outside, { recursive: true });
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("static files notice a changed file once the revalidation interval has passed", async () => {
  const root = Deno.makeTempDirSync();
  try {
    const path = join(root, "a.txt");
    Deno.writeTextFileSync(path, "one");
    const files = new StaticFiles({ root, revalidateMs: 0 });
    const first = await files.lookup("/a.txt");
    Deno.writeTextFileSync(path, "three");
    const second = await files.lookup("/a.txt");
    assert.ok(first.kind === "file" && second.kind === "file");
    assert.equal(new TextDecoder().decode(second.file.bytes!), "three");
    assert.notEqual(first.file.etag, second.file.etag);
    Deno.removeSync(path);
    assert.deepEqual(await files.lookup("/a.txt"), { kind: "refused", status: 404 });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

// ── Helpers ──────────────────────────────────────────────────────────────────

interface Fixture extends Disposable {
  readonly root: string;
  readonly files: StaticFiles;
  get(target: string, headers?: Record<string, string>, method?: string): Promise<Response>;
}

/** A web root with `entries` (relative path → content) served by a bare app (no middleware). */
function fixture(entries: Record<string, string | Uint8Array>, options: Partial<StaticFilesOptions> = {}): Fixture {
  const root = Deno.makeTempDirSync();
  for (const [path, content] of Object.entries(entries)) {
    const target = join(root, path);
    Deno.mkdirSync(dirname(target), { recursive: true });
    if (typeof content === "string") Deno.writeTextFileSync(target, content);
    else Deno.writeFileSync(target, content);
  }
  const files = new StaticFiles({ root, ...options });
  const mount = options.mount ?? "/";
  const app = createApp({
    routes: { routes: [], static: { mount, root, spaFallback: false, cacheControl: [] } },
    handlers: {},
    staticFiles: files,
  });
  return {
    root,
    files,
    get: (target, headers = {}, method = "GET") => inject(app.handle, target, { method, headers }),
    [Symbol.dispose]: () => Deno.removeSync(root, { recursive: true }),
  };
}

const TEXT = "0123456789abcdefghijklmnopqrstuvwxyz"; // 36 bytes
const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer());
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Bytes that differ from position to position, so a wrong offset shows. */
function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

// ── Traversal through the whole app ──────────────────────────────────────────

Deno.test("static traversal attempts through the app never reach a file outside the root or a dotfile", async () => {
  using f = fixture({ "index.html": "<h1>home</h1>", ".env": "SECRET=1", ".git/config": "SECRET=2" });
  Deno.writeTextFileSync(join(dirname(f.root), "passwd-static-test"), "SECRET=3");
  try {
    const targets = [
      "/../.env",
      "/%2e%2e/.env",
      "/..%2f.env",
      "/%2e%2e%2fpasswd-static-test",
      "/%00",
      "/index.html%00.txt",
      "//etc/passwd",
      "/a\\..\\.env",
      "/%5c..%5c.env",
      "/%252e%252e/.env",
      "/.env",
      "/.git/config",
      "/.git/",
      "/%2egit/config",
    ];
    for (const target of targets) {
      const response = await f.get(target);
      const body = await response.text();
      assert.ok(response.status === 400 || response.status === 404, `${target} → ${response.status}`);
      assert.ok(!body.includes("SECRET"), target);
    }
  } finally {
    Deno.removeSync(join(dirname(f.root), "passwd-static-test"));
  }
});

Deno.test("static files refuse a symlink inside the root that resolves to a hidden name", async () => {
  using f = fixture({ ".git/config": "SECRET", "ok.txt": "fine" });
  Deno.symlinkSync(join(f.root, ".git", "config"), join(f.root, "config.txt"));
  Deno.symlinkSync(join(f.root, "ok.txt"), join(f.root, "alias.txt"));
  assert.equal((await f.get("/config.txt")).status, 404);
  const alias = await f.get("/alias.txt");
  assert.equal(alias.status, 200);
  assert.equal(await alias.text(), "fine");
});

// ── 200 basics ───────────────────────────────────────────────────────────────

Deno.test("static 200 carries content type, length, validators, accept-ranges and nosniff", async () => {
  using f = fixture({ "a.txt": TEXT });
  const response = await f.get("/a.txt");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(response.headers.get("content-length"), "36");
  assert.equal(response.headers.get("accept-ranges"), "bytes");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.match(response.headers.get("etag") ?? "", /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(!Number.isNaN(Date.parse(response.headers.get("last-modified") ?? "")));
  assert.equal(response.headers.get("vary"), null);
  assert.equal(await response.text(), TEXT);
});

Deno.test("static HEAD has the GET fields and no body", async () => {
  using f = fixture({ "a.txt": TEXT, "big.bin": pattern(5000) }, { maxCachedFileBytes: 100 });
  for (const path of ["/a.txt", "/big.bin"]) {
    const get = await f.get(path);
    await get.arrayBuffer();
    const head = await f.get(path, {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), get.headers.get("content-length"));
    assert.equal(head.headers.get("etag"), get.headers.get("etag"));
    assert.equal((await bytesOf(head)).length, 0);
  }
});

Deno.test("static large files stream from disk with content-length and the exact bytes", async () => {
  const content = pattern(300_000);
  using f = fixture({ "big.bin": content }, { maxCachedFileBytes: 1024 });
  const found = await f.files.lookup("/big.bin");
  assert.ok(found.kind === "file" && found.file.bytes === null);
  const response = await f.get("/big.bin");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), "300000");
  assert.equal(response.headers.get("transfer-encoding"), null);
  assert.deepEqual(await bytesOf(response), content);
});

Deno.test("static mount: the mount itself redirects to its trailing-slash form with the query", async () => {
  using f = fixture({ "index.html": "<h1>app</h1>", "docs/index.html": "<h1>docs</h1>" }, { mount: "/app" });
  const bare = await f.get("/app?x=1");
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get("location"), "/app/?x=1");
  assert.equal(await (await f.get("/app/")).text(), "<h1>app</h1>");
  const docs = await f.get("/app/docs");
  assert.equal(docs.status, 301);
  assert.equal(docs.headers.get("location"), "/app/docs/");
  assert.equal(await (await f.get("/app/docs/")).text(), "<h1>docs</h1>");
});

// ── Cache-Control rules ──────────────────────────────────────────────────────

Deno.test("cache rules: first match wins over the path relative to the mount; none means no field", async () => {
  const rules = [
    { match: "*.html", value: "no-cache" },
    { match: "/assets/*", value: "public, max-age=31536000, immutable" },
    { match: "/robots.txt", value: "max-age=60" },
    { match: "*.CSS", value: "public, max-age=600" },
  ];
  using f = fixture({
    "index.html": "<h1>home</h1>",
    "docs/index.html": "<h1>docs</h1>",
    "assets/app.js": "1",
    "assets/page.html": "<p>",
    "robots.txt": "User-agent: *",
    "site.css": "body{}",
    "other.txt": "x",
  }, { cacheControl: rules, mount: "/m" });
  const expect: [string, string | null][] = [
    ["/m/", "no-cache"],
    ["/m/docs/", "no-cache"],
    ["/m/assets/app.js", "public, max-age=31536000, immutable"],
    ["/m/assets/page.html", "no-cache"],
    ["/m/robots.txt", "max-age=60"],
    ["/m/site.css", "public, max-age=600"],
    ["/m/other.txt", null],
  ];
  for (const [path, value] of expect) {
    const response = await f.get(path);
    await response.arrayBuffer();
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("cache-control"), value, path);
  }
});

Deno.test("cache rules: matcher forms", () => {
  const rules = new CacheRules([
    { match: "/exact.txt", value: "exact" },
    { match: "*.tar.gz", value: "tarball" },
    { match: "/img*", value: "img-prefix" },
    { match: "*", value: "all" },
  ]);
  assert.equal(rules.valueFor("/exact.txt"), "exact");
  assert.equal(rules.valueFor("/a/exact.txt"), "all");
  assert.equal(rules.valueFor("/x.TAR.GZ"), "tarball");
  assert.equal(rules.valueFor("/img/a.png"), "img-prefix");
  assert.equal(rules.valueFor("/imgs.png"), "img-prefix");
  assert.equal(rules.valueFor("/images/a.png"), "all");
  assert.equal(rules.valueFor("/docs/", "/docs/index.html"), "all");
  assert.equal(new CacheRules([]).valueFor("/a"), null);
  assert.equal(new CacheRules([{ match: "*.html", value: "h" }]).valueFor("/docs/", "/docs/index.html"), "h");
});

Deno.test("static files use routes.json's default rules when given none", async () => {
  using f = fixture({ "index.html": "<h1>home</h1>", "a.css": "body{}" });
  assert.equal((await f.get("/")).headers.get("cache-control"), "no-cache");
  assert.equal((await f.get("/a.css")).headers.get("cache-control"), "public, max-age=3600");
});

// ── Conditional requests ─────────────────────────────────────────────────────

Deno.test("conditional: If-None-Match (weak comparison, lists, *) answers 304 with validators only", async () => {
  using f = fixture({ "a.txt": TEXT }, { cacheControl: [{ match: "*", value: "max-age=5" }] });
  const first = await f.get("/a.txt");
  await first.arrayBuffer();
  const etag = first.headers.get("etag")!;
  for (const value of [etag, `W/${etag}`, "*", `"nope", ${etag}`, `"a,b", W/${etag}`]) {
    for (const method of ["GET", "HEAD"]) {
      const response = await f.get("/a.txt", { "if-none-match": value }, method);
      assert.equal(response.status, 304, `${method} ${value}`);
      assert.equal(response.headers.get("etag"), etag);
      assert.equal(response.headers.get("last-modified"), first.headers.get("last-modified"));
      assert.equal(response.headers.get("cache-control"), "max-age=5");
      assert.equal(response.headers.get("content-type"), null);
      assert.equal(response.headers.get("content-length"), null);
      assert.equal(await response.text(), "");
    }
  }
  for (const value of ['"nope"', etag.slice(1, -1), `${etag.slice(0, -1)}x"`, `"${etag}"`]) {
    const response = await f.get("/a.txt", { "if-none-match": value });
    assert.equal(response.status, 200, value);
    await response.arrayBuffer();
  }
});

Deno.test("conditional: If-Modified-Since only without If-None-Match; invalid dates are ignored", async () => {
  using f = fixture({ "a.txt": TEXT });
  const first = await f.get("/a.txt");
  await first.arrayBuffer();
  const lastModified = first.headers.get("last-modified")!;
  const time = Date.parse(lastModified);
  const later = new Date(time + 60_000).toUTCString();
  const earlier = new Date(time - 60_000).toUTCString();
  const cases: [Record<string, string>, number][] = [
    [{ "if-modified-since": lastModified }, 304],
    [{ "if-modified-since": later }, 304],
    [{ "if-modified-since": earlier }, 200],
    [{ "if-modified-since": "yesterday" }, 200],
    [{ "if-modified-since": `${lastModified}, ${lastModified}` }, 200],
    // If-None-Match present and false: If-Modified-Since is not looked at.
    [{ "if-none-match": '"other"', "if-modified-since": later }, 200],
  ];
  for (const [headers, status] of cases) {
    const response = await f.get("/a.txt", headers);
    await response.arrayBuffer();
    assert.equal(response.status, status, JSON.stringify(headers));
  }
});

Deno.test("conditional: If-Match (strong) and If-Unmodified-Since answer 412 first", async () => {
  using f = fixture({ "a.txt": TEXT });
  const first = await f.get("/a.txt");
  await first.arrayBuffer();
  const etag = first.headers.get("etag")!;
  const time = Date.parse(first.headers.get("last-modified")!);
  const earlier = new Date(time - 60_000).toUTCString();
  const later = new Date(time + 60_000).toUTCString();
  const cases: [Record<string, string>, number][] = [
    [{ "if-match": etag }, 200],
    [{ "if-match": "*" }, 200],
    [{ "if-match": `"x", ${etag}` }, 200],
    [{ "if-match": '"x"' }, 412],
    [{ "if-match": `W/${etag}` }, 412],
    // If-Match is evaluated before If-None-Match.
    [{ "if-match": '"x"', "if-none-match": etag }, 412],
    [{ "if-match": etag, "if-none-match": etag }, 304],
    [{ "if-unmodified-since": earlier }, 412],
    [{ "if-unmodified-since": later }, 200],
    [{ "if-unmodified-since": new Date(time).toUTCString() }, 200],
    [{ "if-unmodified-since": "not a date" }, 200],
    // If-Unmodified-Since is ignored when If-Match is present.
    [{ "if-match": etag, "if-unmodified-since": earlier }, 200],
    [{ "if-unmodified-since": earlier, "if-none-match": etag }, 412],
    [{ "if-unmodified-since": later, "if-none-match": etag }, 304],
  ];
  for (const [headers, status] of cases) {
    const response = await f.get("/a.txt", headers);
    await response.arrayBuffer();
    assert.equal(response.status, status, JSON.stringify(headers));
  }
  assert.equal((await f.get("/a.txt", { "if-match": '"x"' }, "HEAD")).status, 412);
});

Deno.test("conditional: HTTP-date formats and entity-tag lists", () => {
  const time = Date.UTC(1994, 10, 6, 8, 49, 37);
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), time);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), time);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), time);
  for (
    const bad of [
      "",
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "1994-11-06",
      "Sun, 06 Nov 1994 25:00:00 GMT",
    ]
  ) {
    assert.ok(Number.isNaN(parseHttpDate(bad)), bad);
  }
  assert.equal(etagListMatches('"a"', '"a"', false), true);
  assert.equal(etagListMatches('W/"a"', '"a"', false), false);
  assert.equal(etagListMatches('W/"a"', '"a"', true), true);
  assert.equal(etagListMatches(' "b" ,, "a"', '"a"', true), true);
  assert.equal(etagListMatches('"ab"', '"a"', true), false);
  assert.equal(etagListMatches('a, "a"', '"a"', true), false);
  assert.equal(etagListMatches('"a', '"a"', true), false);
  assert.equal(ifRangeHolds('"a"', '"a"', 0), true);
  assert.equal(ifRangeHolds('W/"a"', '"a"', 0), false);
  assert.equal(ifRangeHolds('"b"', '"a"', 0), false);
  assert.equal(ifRangeHolds("Sun, 06 Nov 1994 08:49:37 GMT", '"a"', time), true);
  assert.equal(ifRangeHolds("Sun, 06 Nov 1994 08:49:38 GMT", '"a"', time), false);
  assert.equal(ifRangeHolds("garbage", '"a"', time), false);
});

// ── Ranges ───────────────────────────────────────────────────────────────────

Deno.test("range parsing: single, suffix, open, clamping and invalid forms", () => {
  const r = (value: string, size = 100) => parseRange(value, size);
  assert.deepEqual(r("bytes=0-0"), [{ start: 0, end: 0 }]);
  assert.deepEqual(r("bytes=-1"), [{ start: 99, end: 99 }]);
  assert.deepEqual(r("bytes=-500"), [{ start: 0, end: 99 }]);
  assert.deepEqual(r("bytes=50-"), [{ start: 50, end: 99 }]);
  assert.deepEqual(r("bytes=0-999999"), [{ start: 0, end: 99 }]);
  assert.deepEqual(r("bytes=0-99999999999999999999999"), [{ start: 0, end: 99 }]);
  assert.deepEqual(r("BYTES=1-2"), [{ start: 1, end: 2 }]);
  assert.deepEqual(r("bytes= 1-2 ,"), [{ start: 1, end: 2 }]);
  for (
    const ignored of [
      "bytes=5-2",
      "bytes=abc",
      "items=0-1",
      "bytes=",
      "bytes=-",
      "bytes=1-2-3",
      "bytes = 0-1",
      "bytes=0x1-2",
      "bytes=1 -2",
      "0-1",
      "bytes=,,",
    ]
  ) {
    assert.equal(r(ignored), IGNORE_RANGE, ignored);
  }
  for (const unsatisfiable of ["bytes=100-", "bytes=100-200", "bytes=-0", "bytes=150-160, 200-"]) {
    assert.equal(r(unsatisfiable), UNSATISFIABLE, unsatisfiable);
  }
  assert.equal(parseRange("bytes=0-", 0), UNSATISFIABLE);
  assert.equal(parseRange("bytes=-5", 0), UNSATISFIABLE);
});

Deno.test("range parsing: several ranges keep their order, unsatisfiable ones drop, overlaps coalesce", () => {
  assert.deepEqual(parseRange("bytes=50-59, 0-9", 100), [{ start: 50, end: 59 }, { start: 0, end: 9 }]);
  assert.deepEqual(parseRange("bytes=0-9, 200-300, 90-", 100), [{ start: 0, end: 9 }, { start: 90, end: 99 }]);
  assert.deepEqual(parseRange("bytes=0-9,10-19", 100), [{ start: 0, end: 19 }]);
  assert.deepEqual(parseRange("bytes=5-15,0-9,50-60", 100), [{ start: 0, end: 15 }, { start: 50, end: 60 }]);
  assert.deepEqual(parseRange("bytes=60-70,0-5,65-80,3-4", 100), [{ start: 60, end: 80 }, { start: 0, end: 5 }]);
  assert.deepEqual(parseRange("bytes=-10,0-", 100), [{ start: 0, end: 99 }]);
  const sixteen = Array.from({ length: MAX_RANGES }, (_, i) => `${i * 3}-${i * 3}`).join(",");
  assert.equal((parseRange(`bytes=${sixteen}`, 100) as unknown[]).length, MAX_RANGES);
  assert.equal(parseRange(`bytes=${sixteen},90-91`, 100), IGNORE_RANGE);
});

Deno.test("range: 206 single range from memory and from disk", async () => {
  const big = pattern(200_000);
  using f = fixture({ "a.txt": TEXT, "big.bin": big }, { maxCachedFileBytes: 1000 });
  const cases: [string, string, number, number][] = [
    ["bytes=0-0", "0", 0, 0],
    ["bytes=-1", "z", 35, 35],
    ["bytes=10-", TEXT.slice(10), 10, 35],
    ["bytes=30-999999", TEXT.slice(30), 30, 35],
    ["bytes=3-5", "345", 3, 5],
  ];
  for (const [range, body, start, end] of cases) {
    const response = await f.get("/a.txt", { range });
    assert.equal(response.status, 206, range);
    assert.equal(response.headers.get("content-range"), `bytes ${start}-${end}/36`);
    assert.equal(response.headers.get("content-length"), String(end - start + 1));
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.ok(response.headers.get("etag") !== null);
    assert.equal(await response.text(), body);
  }
  const response = await f.get("/big.bin", { range: "bytes=70000-199999" });
  assert.equal(response.status, 206);
  assert.equal(response.headers.get("content-range"), "bytes 70000-199999/200000");
  assert.equal(response.headers.get("content-length"), "130000");
  assert.deepEqual(await bytesOf(response), big.subarray(70000));
  const last = await f.get("/big.bin", { range: "bytes=-3" });
  assert.deepEqual(await bytesOf(last), big.subarray(199997));
});

Deno.test("range: several ranges answer multipart/byteranges, from memory and from disk", async () => {
  const big = pattern(150_000);
  using f = fixture({ "a.txt": TEXT, "big.bin": big }, { maxCachedFileBytes: 1000 });
  const small = await f.get("/a.txt", { range: "bytes=30-, 0-1, 5-6" });
  assert.equal(small.status, 206);
  const boundary = boundaryOf(small.headers.get("content-type"));
  assert.ok(boundary !== null, small.headers.get("content-type") ?? "");
  const smallBody = await bytesOf(small);
  assert.equal(small.headers.get("content-length"), String(smallBody.length));
  const parts = parseByteranges(smallBody, boundary);
  assert.deepEqual(parts.map((p) => p.headers["content-range"]), ["bytes 30-35/36", "bytes 0-1/36", "bytes 5-6/36"]);
  assert.deepEqual(parts.map((p) => text(p.body)), [TEXT.slice(30), "01", "56"]);
  for (const part of parts) assert.equal(part.headers["content-type"], "text/plain; charset=utf-8");

  const disk = await f.get("/big.bin", { range: "bytes=0-99,140000-,70000-70009" });
  assert.equal(disk.status, 206);
  const diskBody = await bytesOf(disk);
  assert.equal(disk.headers.get("content-length"), String(diskBody.length));
  const diskParts = parseByteranges(diskBody, boundaryOf(disk.headers.get("content-type"))!);
  assert.deepEqual(diskParts.map((p) => p.headers["content-range"]), [
    "bytes 0-99/150000",
    "bytes 140000-149999/150000",
    "bytes 70000-70009/150000",
  ]);
  assert.deepEqual(diskParts[0].body, big.subarray(0, 100));
  assert.deepEqual(diskParts[1].body, big.subarray(140000));
  assert.deepEqual(diskParts[2].body, big.subarray(70000, 70010));
  for (const part of diskParts) assert.equal(part.headers["content-type"], "application/octet-stream");

  // Overlapping ranges coalesce into one part: a single-range answer.
  const merged = await f.get("/a.txt", { range: "bytes=0-4,3-9" });
  assert.equal(merged.headers.get("content-range"), "bytes 0-9/36");
  assert.equal(await merged.text(), "0123456789");
});

Deno.test("range: 416 with content-range */size; invalid, excessive or non-GET ranges get the whole file", async () => {
  using f = fixture({ "a.txt": TEXT, "empty.txt": "" });
  const unsatisfiable = await f.get("/a.txt", { range: "bytes=36-" });
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers.get("content-range"), "bytes */36");
  await unsatisfiable.arrayBuffer();
  assert.equal((await f.get("/empty.txt", { range: "bytes=0-" })).headers.get("content-range"), "bytes */0");

  const many = Array.from({ length: 17 }, (_, i) => `${i}-${i}`).join(",");
  for (const range of ["bytes=5-2", "bytes=abc", "items=0-1", `bytes=${many}`]) {
    const response = await f.get("/a.txt", { range });
    assert.equal(response.status, 200, range);
    assert.equal(response.headers.get("accept-ranges"), "bytes");
    assert.equal(await response.text(), TEXT);
  }
  const head = await f.get("/a.txt", { range: "bytes=0-1" }, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "36");
});

Deno.test("range: If-Range with the strong ETag or the exact date honours the range; anything else sends 200", async () => {
  using f = fixture({ "a.txt": TEXT });
  const first = await f.get("/a.txt");
  await first.arrayBuffer();
  const etag = first.headers.get("etag")!;
  const lastModified = first.headers.get("last-modified")!;
  const later = new Date(Date.parse(lastModified) + 1000).toUTCString();
  const cases: [string, number][] = [
    [etag, 206],
    [lastModified, 206],
    [`W/${etag}`, 200],
    ['"other"', 200],
    [later, 200],
    ["garbage", 200],
  ];
  for (const [ifRange, status] of cases) {
    const response = await f.get("/a.txt", { range: "bytes=0-1", "if-range": ifRange });
    assert.equal(response.status, status, ifRange);
    assert.equal(await response.text(), status === 206 ? "01" : TEXT);
  }
  // A failed If-Range also drops an unsatisfiable range: the whole file, not 416.
  assert.equal((await f.get("/a.txt", { range: "bytes=99-", "if-range": '"other"' })).status, 200);
  // Preconditions come before the range.
  assert.equal((await f.get("/a.txt", { range: "bytes=0-1", "if-none-match": etag })).status, 304);
  assert.equal((await f.get("/a.txt", { range: "bytes=0-1", "if-match": '"x"' })).status, 412);
});

// ── Precompressed siblings ───────────────────────────────────────────────────

Deno.test("accept-encoding negotiation: q-values, q=0, *, identity and br before gzip", () => {
  const cases: [string | null, boolean, boolean, string | null][] = [
    ["gzip, deflate, br", true, true, "br"],
    ["gzip, deflate, br, zstd", false, true, "gzip"],
    ["gzip", true, true, "gzip"],
    ["br;q=0, gzip", true, true, "gzip"],
    ["br;q=0, gzip;q=0", true, true, null],
    ["br;q=0.5, gzip;q=0.8", true, true, "gzip"],
    ["gzip;q=0.8, br;q=0.8", true, true, "br"],
    ["GZIP;Q=1", false, true, "gzip"],
    ["x-gzip", false, true, "gzip"],
    ["*", true, true, "br"],
    ["*;q=0", true, true, null],
    ["*, br;q=0", true, true, "gzip"],
    ["identity;q=1, gzip;q=0.5", false, true, null],
    ["identity;q=0.5, gzip;q=0.5", false, true, "gzip"],
    ["gzip;q=0.5", false, true, "gzip"],
    ["br;q=1.5", true, false, null],
    ["br;q=abc, gzip", true, true, "gzip"],
    ["br ; q = 0.9", true, false, "br"],
    ["deflate", true, true, null],
    ["", true, true, null],
    [null, true, true, null],
  ];
  for (const [value, hasBr, hasGzip, expected] of cases) {
    assert.equal(chooseCoding(value, hasBr, hasGzip), expected, `${value} br=${hasBr} gzip=${hasGzip}`);
  }
});

Deno.test("precompressed siblings: the sibling's bytes with content-encoding, the original type and vary", async () => {
  const br = new Uint8Array([0x0b, 0x01, 0x80, 1, 2, 3]);
  const gz = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 9]);
  using f = fixture({ "app.js": "console.log('hello world')", "app.js.br": br, "app.js.gz": gz, "plain.js": "1" });
  const identity = await f.get("/app.js");
  assert.equal(identity.headers.get("content-encoding"), null);
  assert.equal(identity.headers.get("vary"), "accept-encoding");
  assert.equal(await identity.text(), "console.log('hello world')");
  const identityEtag = identity.headers.get("etag")!;

  const asBr = await f.get("/app.js", { "accept-encoding": "gzip, deflate, br" });
  assert.equal(asBr.status, 200);
  assert.equal(asBr.headers.get("content-encoding"), "br");
  assert.equal(asBr.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(asBr.headers.get("content-length"), String(br.length));
  assert.equal(asBr.headers.get("vary"), "accept-encoding");
  assert.match(asBr.headers.get("etag")!, /-br"$/);
  assert.deepEqual(await bytesOf(asBr), br);

  const asGzip = await f.get("/app.js", { "accept-encoding": "gzip" });
  assert.equal(asGzip.headers.get("content-encoding"), "gzip");
  assert.equal(asGzip.headers.get("content-length"), String(gz.length));
  assert.match(asGzip.headers.get("etag")!, /-gzip"$/);
  assert.deepEqual(await bytesOf(asGzip), gz);
  const etags = new Set([identityEtag, asBr.headers.get("etag"), asGzip.headers.get("etag")]);
  assert.equal(etags.size, 3);

  // 304 per representation, with vary.
  const notModified = await f.get("/app.js", { "accept-encoding": "br", "if-none-match": asBr.headers.get("etag")! });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get("vary"), "accept-encoding");
  assert.equal(notModified.headers.get("content-encoding"), null);
  const otherRepresentation = await f.get("/app.js", { "accept-encoding": "gzip", "if-none-match": identityEtag });
  assert.equal(otherRepresentation.status, 200);
  await otherRepresentation.arrayBuffer();

  // HEAD of a sibling states its length.
  const head = await f.get("/app.js", { "accept-encoding": "br" }, "HEAD");
  assert.equal(head.headers.get("content-length"), String(br.length));
  assert.equal(head.headers.get("content-encoding"), "br");

  // A Range request gets the identity file, never a slice of a compressed one.
  const range = await f.get("/app.js", { "accept-encoding": "br, gzip", range: "bytes=0-6" });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get("content-encoding"), null);
  assert.equal(range.headers.get("vary"), "accept-encoding");
  assert.equal(await range.text(), "console");
  const unsatisfiable = await f.get("/app.js", { "accept-encoding": "br", range: "bytes=999-" });
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers.get("vary"), "accept-encoding");
  await unsatisfiable.arrayBuffer();
  // An ignored Range lets negotiation pick the sibling again.
  const ignored = await f.get("/app.js", { "accept-encoding": "br", range: "bytes=x" });
  assert.equal(ignored.headers.get("content-encoding"), "br");
  await ignored.arrayBuffer();

  // The siblings are files of their own.
  const direct = await f.get("/app.js.gz", { "accept-encoding": "gzip" });
  assert.equal(direct.headers.get("content-type"), "application/gzip");
  assert.equal(direct.headers.get("content-encoding"), null);
  assert.deepEqual(await bytesOf(direct), gz);

  // A file without siblings never says vary.
  const plain = await f.get("/plain.js", { "accept-encoding": "br" });
  assert.equal(plain.headers.get("vary"), null);
  assert.equal(plain.headers.get("content-encoding"), null);
  await plain.arrayBuffer();
});

Deno.test("precompressed siblings: large ones stream from disk; new siblings are noticed on revalidation", async () => {
  const gz = pattern(50_000);
  using f = fixture({ "data.json": "{}", "data.json.gz": gz }, { maxCachedFileBytes: 1000, revalidateMs: 0 });
  const response = await f.get("/data.json", { "accept-encoding": "gzip" });
  assert.equal(response.headers.get("content-length"), "50000");
  assert.deepEqual(await bytesOf(response), gz);
  Deno.writeFileSync(join(f.root, "data.json.br"), new Uint8Array([1, 2, 3]));
  const br = await f.get("/data.json", { "accept-encoding": "gzip, br" });
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.deepEqual(await bytesOf(br), new Uint8Array([1, 2, 3]));
  Deno.removeSync(join(f.root, "data.json.br"));
  Deno.removeSync(join(f.root, "data.json.gz"));
  const plain = await f.get("/data.json", { "accept-encoding": "gzip, br" });
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(plain.headers.get("vary"), null);
  assert.equal(await plain.text(), "{}");
});

Deno.test("precompressed siblings that are symlinks out of the root are not used", async () => {
  const outside = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(outside, "secret.gz"), "SECRET");
    using f = fixture({ "a.js": "1" });
    Deno.symlinkSync(join(outside, "secret.gz"), join(f.root, "a.js.gz"));
    const response = await f.get("/a.js", { "accept-encoding": "gzip" });
    assert.equal(response.headers.get("content-encoding"), null);
    assert.equal(await response.text(), "1");
  } finally {
    Deno.removeSync(outside, { recursive: true });
  }
});

// ── Memory cache and file handles ────────────────────────────────────────────

Deno.test("static cache stays within maxCacheBytes and keeps no file larger than maxCachedFileBytes", async () => {
  const entries: Record<string, Uint8Array> = {};
  for (let i = 0; i < 20; i++) entries[`f${i}.bin`] = pattern(10_000);
  entries["big.bin"] = pattern(40_000);
  using f = fixture(entries, { maxCachedFileBytes: 20_000, maxCacheBytes: 50_000 });
  for (let i = 0; i < 20; i++) {
    const response = await f.get(`/f${i}.bin`);
    assert.equal((await bytesOf(response)).length, 10_000);
    assert.ok(f.files.cachedBytes <= 50_000, String(f.files.cachedBytes));
  }
  const big = await f.files.lookup("/big.bin");
  assert.ok(big.kind === "file" && big.file.bytes === null);
  assert.ok(f.files.cachedBytes <= 50_000);
});

Deno.test("static lookups of one path at the same time share one load", async () => {
  using f = fixture({ "a.txt": TEXT });
  const results = await Promise.all(Array.from({ length: 10 }, () => f.files.lookup("/a.txt")));
  for (const result of results) assert.equal(result, results[0]);
});

/** Counts the files Deno.open opens and how many of them are closed, until disposed. */
function trackOpens(): { readonly opened: number; readonly open: number } & Disposable {
  const original = Deno.open;
  const files: { closed: boolean }[] = [];
  Deno.open = async (...args: Parameters<typeof Deno.open>) => {
    const file = await original(...args);
    const record = { closed: false };
    files.push(record);
    const close = file.close.bind(file);
    file.close = () => {
      record.closed = true;
      close();
    };
    return file;
  };
  return {
    get opened() {
      return files.length;
    },
    get open() {
      return files.filter((file) => !file.closed).length;
    },
    [Symbol.dispose]: () => {
      Deno.open = original;
    },
  };
}

Deno.test("file streams open on the first read and close at the end, on cancel and on failure", async () => {
  const root = Deno.makeTempDirSync();
  using files = trackOpens();
  try {
    const path = join(root, "data.bin");
    const content = pattern(10_000);
    Deno.writeFileSync(path, content);

    const unread = fileStream(path, [{ start: 0, end: 9_999 }]);
    await unread.cancel();
    assert.equal(files.opened, 0);

    const cancelled = fileStream(path, [{ start: 0, end: 9_999 }], 1000);
    const reader = cancelled.getReader();
    const first = await reader.read();
    assert.deepEqual(first.value, content.subarray(0, 1000));
    assert.equal(files.open, 1);
    await reader.cancel();
    assert.equal(files.open, 0);

    const pieces = [new Uint8Array([1]), { start: 9_998, end: 9_999 }, { start: 0, end: 1 }, new Uint8Array([2])];
    const whole = new Uint8Array(await new Response(fileStream(path, pieces, 1)).arrayBuffer());
    assert.deepEqual(whole, new Uint8Array([1, content[9998], content[9999], content[0], content[1], 2]));
    assert.equal(files.opened, 2);
    assert.equal(files.open, 0);

    // A file shorter than the range fails the stream (and closes the file) rather than sending short.
    await assert.rejects(new Response(fileStream(path, [{ start: 9_000, end: 10_500 }])).arrayBuffer());
    assert.equal(files.opened, 3);
    assert.equal(files.open, 0);
    // A file that vanished fails the stream on its first read.
    await assert.rejects(new Response(fileStream(join(root, "gone.bin"), [{ start: 0, end: 1 }])).arrayBuffer());
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a file stream the engine does not send (HEAD, closed connection) is cancelled and closes its file", async () => {
  using f = fixture({ "big.bin": pattern(100_000) }, { maxCachedFileBytes: 10 });
  const found = await f.files.lookup("/big.bin");
  assert.ok(found.kind === "file");
  using files = trackOpens();
  const response = f.files.respond(await requestFor("GET /big.bin"), found.file);
  assert.ok(response.body instanceof ReadableStream);
  assert.equal(files.opened, 0);
  const reader = response.body.getReader();
  await reader.read();
  assert.equal(files.open, 1);
  // What the engine does with a body it stops sending.
  await reader.cancel();
  assert.equal(files.open, 0);
  // A HEAD through the real writer: the GET stream is never opened.
  const head = await f.get("/big.bin", {}, "HEAD");
  assert.equal(head.headers.get("content-length"), "100000");
  assert.equal(files.opened, 1);
});

/** A parsed request head, as the engine hands it over. */
async function requestFor(line: string, ...fields: string[]): Promise<HttpRequest> {
  let captured: HttpRequest | null = null;
  await inject(
    (request) => {
      captured = request;
      return { status: 204 };
    },
    line.split(" ")[1],
    { method: line.split(" ")[0], headers: fields.map((f) => f.split(": ") as [string, string]) },
  );
  return captured!;
}
