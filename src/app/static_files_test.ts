import assert from "node:assert/strict";
import { join } from "node:path";
import { safeSegments, StaticFiles } from "./static_files.ts";

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
