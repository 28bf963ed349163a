import assert from "node:assert/strict";
import { ConfigError, loadConfig, PROJECT_ROOT } from "./config.ts";
import { loadEnv } from "./env.ts";
import { join } from "node:path";

Deno.test("config has working defaults with an empty environment", () => {
  const config = loadConfig({});
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.port, 8080);
  assert.equal(config.webRootDir, null);
  assert.equal(config.routesFile, join(PROJECT_ROOT, "routes.json"));
  assert.equal(config.tls, null);
  assert.equal(config.logFormat, "text");
  assert.ok(Object.isFrozen(config));
});

Deno.test("config reads the documented variables", () => {
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "9000",
    LOG_FORMAT: "json",
    MAX_BODY_BYTES: "42",
    KEEP_ALIVE_TIMEOUT_MS: "1500",
    TLS_CERT_FILE: "/certs/c.pem",
    TLS_KEY_FILE: "/certs/k.pem",
  });
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 9000);
  assert.equal(config.logFormat, "json");
  assert.equal(config.server.limits?.maxBodyBytes, 42);
  assert.equal(config.server.keepAliveTimeoutMs, 1500);
  assert.deepEqual(config.tls, { certFile: "/certs/c.pem", keyFile: "/certs/k.pem" });
});

Deno.test("config stops on a bad value with a message naming the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: "eighty" }, /^PORT must be a whole number/],
    [{ PORT: "70000" }, /^PORT must be between 0 and 65535/],
    [{ LOG_FORMAT: "xml" }, /^LOG_FORMAT must be one of text, json/],
    [{ TLS_CERT_FILE: "/c.pem" }, /TLS_CERT_FILE and TLS_KEY_FILE must be set together/],
    [{ MAX_HEAD_BYTES: "10" }, /^MAX_HEAD_BYTES must be between/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
    );
  }
});

Deno.test("env file fills in variables and the real environment wins", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = join(dir, ".env");
    Deno.writeTextFileSync(path, "PORT=9001\nHOST=10.0.0.1\n# comment\nLOG_FORMAT='json'\n");
    const env = loadEnv(path, { PORT: "9002" });
    assert.equal(env.PORT, "9002");
    assert.equal(env.HOST, "10.0.0.1");
    assert.equal(env.LOG_FORMAT, "json");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("env loader works without a .env file", () => {
  assert.deepEqual(loadEnv("/nonexistent/.env", { A: "1" }), { A: "1" });
});
