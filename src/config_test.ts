import assert from "node:assert/strict";
import { ConfigError, loadConfig, PROJECT_ROOT } from "./config.ts";
import { loadEnv } from "./env.ts";
import { join } from "node:path";

Deno.test("config has working defaults with an empty environment in development", () => {
  const config = loadConfig({}, "development");
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
    JWT_SECRET_KEY: "k".repeat(32),
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
      () => loadConfig(env, "development"),
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

Deno.test("production refuses to start without JWT_SECRET_KEY; development generates one and warns", () => {
  assert.throws(
    () => loadConfig({}),
    (e: unknown) => e instanceof ConfigError && /JWT_SECRET_KEY is required/.test(e.message),
  );
  const a = loadConfig({}, "development");
  const b = loadConfig({}, "development");
  assert.equal(a.auth.jwtSecret.length, 48);
  assert.notDeepEqual(a.auth.jwtSecret, b.auth.jwtSecret);
  assert.match(a.warnings[0], /JWT_SECRET_KEY is not set/);
});

Deno.test("JWT_SECRET_KEY shorter than 32 bytes is refused, with its length", () => {
  assert.throws(
    () => loadConfig({ JWT_SECRET_KEY: "short" }, "development"),
    (e: unknown) => e instanceof ConfigError && /at least 32 bytes, got 5/.test(e.message),
  );
});

Deno.test("auth and database settings are read and validated", () => {
  const config = loadConfig({
    JWT_SECRET_KEY: "k".repeat(40),
    ALGORITHM: "HS512",
    ACCESS_TOKEN_EXPIRE_MINUTES: "15",
    BCRYPT_COST: "10",
    DATABASE_URL: "postgres://app@db.internal:5433/h1",
    DATA_DIR: ":memory:",
  });
  assert.equal(config.auth.algorithm, "HS512");
  assert.equal(config.auth.accessTokenMinutes, 15);
  assert.equal(config.auth.bcryptCost, 10);
  assert.equal(config.database.url, "postgres://app@db.internal:5433/h1");
  assert.equal(config.database.dataDir, ":memory:");
  const bad: [Record<string, string>, RegExp][] = [
    [{ ALGORITHM: "none" }, /ALGORITHM must be one of HS256, HS384, HS512/],
    [{ ALGORITHM: "RS256" }, /ALGORITHM must be one of/],
    [{ BCRYPT_COST: "3" }, /BCRYPT_COST must be between 4 and 15/],
    [{ DATABASE_URL: "mysql://x/y" }, /DATABASE_URL must start with postgres:\/\//],
    [{ DATABASE_URL: "not a url" }, /DATABASE_URL is not a valid URL/],
  ];
  for (const [env, message] of bad) {
    assert.throws(
      () => loadConfig({ JWT_SECRET_KEY: "k".repeat(40), ...env }),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

Deno.test("PASSWORD_WORKERS defaults to one per CPU but one, never below one; 0 is allowed (main thread)", () => {
  const cores = navigator.hardwareConcurrency;
  assert.equal(loadConfig({}, "development").auth.passwordWorkers, Math.max(1, cores - 1));
  assert.equal(loadConfig({ PASSWORD_WORKERS: "0" }, "development").auth.passwordWorkers, 0);
  assert.equal(loadConfig({ PASSWORD_WORKERS: "3" }, "development").auth.passwordWorkers, 3);
});
