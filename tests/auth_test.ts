/**
 * Accounts and authentication end to end, over real TCP against the full app (the launcher
 * behind `startApp()`, each test on an embedded database of its own): registration, login, bearer tokens and the attacks
 * on them, roles, brute-force throttling and password re-hashing. Driven with fetch and with a
 * raw socket (where exact bytes matter). Every test also checks that no password, hash or
 * token it used ever reached the app's log lines.
 */
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { InlineHasher, type PasswordHasher } from "../src/auth/passwords.ts";
import type { Database } from "../src/db/database.ts";
import { type Role, type User, UserRepository } from "../src/db/users.ts";
import { type Answer, launchApp, readAnswer, TEST_HASHER, TEST_JWT_SECRET, type TestApp } from "./helpers/app_core.ts";
import { openTestEmbedded } from "./helpers/embedded.ts";
import { pollUntil } from "./helpers/postgres.ts";
import { get, post, RawClient, type RawResponse } from "./helpers/raw_client.ts";

const KEY = new TextEncoder().encode(TEST_JWT_SECRET);
const REALM = 'Bearer realm="h1server"';
const INVALID_TOKEN = /^Bearer realm="h1server", error="invalid_token"$/;
const USERNAME_RULE = "username must be 3 to 32 characters: letters, digits, '_', '.' or '-'";

// ── Harness ────────────────────────────────────────────────────────────────────

interface Session {
  readonly app: TestApp;
  /** This test's own database (migrated, embedded), and its accounts. */
  readonly db: Database;
  readonly users: UserRepository;
  /** Records a value that must never appear in a log line; returns it. */
  secret<T extends string>(value: T): T;
}

/**
 * Runs `fn` against a fresh app on a database of its own (so login counters, which are also
 * kept per client address and every request comes from 127.0.0.1, never carry over between
 * tests), then checks the captured log lines for every recorded secret.
 */
async function withApp(env: Record<string, string>, fn: (s: Session) => Promise<void>): Promise<void> {
  await using embedded = await openTestEmbedded({ threaded: true });
  const app = await launchApp(env, {}, { database: embedded.db });
  const secrets = new Set<string>();
  try {
    await fn({
      app,
      db: embedded.db,
      users: new UserRepository(embedded.db),
      secret: (value) => {
        assert.ok(value.length >= 4, "a secret long enough to search for");
        secrets.add(value);
        // A token's signature alone is secret enough to look for too.
        const signature = value.startsWith("eyJ") ? value.split(".")[2] ?? "" : "";
        if (signature.length >= 16) secrets.add(signature);
        return value;
      },
    });
  } finally {
    await app.close();
  }
  assert.ok(app.logs.lines.length > 0, "the app logged something (access lines)");
  for (const line of app.logs.lines) {
    for (const value of secrets) {
      assert.ok(!line.includes(value), `a secret (${value.slice(0, 6)}…) appears in the log line: ${line}`);
    }
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

function newPassword(): string {
  return `pw-${crypto.randomUUID()}`;
}

function postJson(app: TestApp, path: string, body: unknown, contentType = "application/json"): Promise<Answer> {
  return app.fetch(path, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }).then(readAnswer);
}

const register = (app: TestApp, username: unknown, password: unknown) =>
  postJson(app, "/api/register", { username, password });
const login = (app: TestApp, username: string, password: string) => postJson(app, "/api/login", { username, password });

function getWith(app: TestApp, path: string, authorization?: string): Promise<Answer> {
  return app.fetch(path, { headers: authorization === undefined ? {} : { authorization } }).then(readAnswer);
}

async function raw(app: TestApp, request: string): Promise<RawResponse> {
  await using client = await RawClient.connect(app.port);
  return await client.exchange(request);
}

interface Account {
  readonly username: string;
  readonly password: string;
  readonly token: string;
  readonly user: User;
}

/** Registers and logs in over HTTP; the password, stored hash and token are recorded as secrets. */
async function signUp(s: Session, prefix = "user"): Promise<Account> {
  const username = uniqueName(prefix);
  const password = s.secret(newPassword());
  const registered = await register(s.app, username, password);
  assert.equal(registered.status, 201, registered.text);
  const user = (await s.users.findByUsername(username))!;
  s.secret(user.passwordHash);
  const loggedIn = await login(s.app, username, password);
  assert.equal(loggedIn.status, 200, loggedIn.text);
  return { username, password, token: s.secret(loggedIn.body.token as string), user };
}

/** An account made directly in the database (e.g. an admin: there is no HTTP way to make one). */
async function createAccount(s: Session, role: Role, hasher = TEST_HASHER): Promise<Omit<Account, "token">> {
  const username = uniqueName(role);
  const password = s.secret(newPassword());
  const user = await s.users.create(username, s.secret(await hasher.hash(password)), role);
  return { username, password, user };
}

// ── Registration ───────────────────────────────────────────────────────────────

Deno.test("register: 201 {message, username} and a bcrypt hash of the configured cost is stored", () =>
  withApp({}, async (s) => {
    const username = uniqueName("NewUser");
    const password = s.secret(newPassword());
    const response = await register(s.app, username, password);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(response.body, { message: "User registered successfully", username });

    const stored = (await s.users.findByUsername(username))!;
    s.secret(stored.passwordHash);
    assert.equal(stored.role, "user");
    assert.notEqual(stored.passwordHash, password);
    assert.equal(bcrypt.getRounds(stored.passwordHash), 4);
    assert.equal(await TEST_HASHER.verify(password, stored.passwordHash), true);
  }));

Deno.test("register: 400 with the exact message for each missing or invalid field", () =>
  withApp({}, async (s) => {
    const ok = "a-good-password";
    const notObject = "Request body must be a JSON object with username and password";
    const cases: [string, unknown, string][] = [
      ["missing username", { password: ok }, "username is required"],
      ["empty username", { username: "", password: ok }, "username is required"],
      ["username not a string", { username: 12345, password: ok }, "username is required"],
      ["missing password", { username: uniqueName("nopw") }, "password is required"],
      ["empty password", { username: uniqueName("nopw"), password: "" }, "password is required"],
      ["password not a string", { username: uniqueName("nopw"), password: 12345678 }, "password is required"],
      ["an array body", [uniqueName("arr"), ok], notObject],
      ["a string body", "just a string", notObject],
      ["a number body", 42, notObject],
      ["a null body", null, notObject],
      ["bad username characters (space)", { username: "bad name", password: ok }, USERNAME_RULE],
      ["bad username characters (!)", { username: "bad!name", password: ok }, USERNAME_RULE],
      ["bad username characters (non-ASCII)", { username: "jürgen", password: ok }, USERNAME_RULE],
      ["username too short (2)", { username: "ab", password: ok }, USERNAME_RULE],
      ["username too long (33)", { username: "a".repeat(33), password: ok }, USERNAME_RULE],
      [
        "password of 7 bytes",
        { username: uniqueName("short"), password: "1234567" },
        "password must be at least 8 bytes",
      ],
      [
        "password of 73 bytes",
        { username: uniqueName("long"), password: "a".repeat(73) },
        "password must be at most 72 bytes of UTF-8",
      ],
      [
        "password of 30 three-byte characters (90 bytes)",
        { username: uniqueName("long"), password: "€".repeat(30) },
        "password must be at most 72 bytes of UTF-8",
      ],
      [
        "password of 19 four-byte characters (76 bytes)",
        { username: uniqueName("long"), password: "😀".repeat(19) },
        "password must be at most 72 bytes of UTF-8",
      ],
    ];
    for (const [what, body, message] of cases) {
      const response = await postJson(s.app, "/api/register", JSON.stringify(body));
      assert.equal(response.status, 400, `${what}: ${response.text}`);
      assert.deepEqual(response.body, { error: message }, what);
    }
    const invalid = await postJson(s.app, "/api/register", '{"username": "x", ');
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body, { error: "Request body is not valid JSON" });
  }));

Deno.test("register: password limits count UTF-8 bytes, not characters (8 and 72 bytes are accepted)", () =>
  withApp({}, async (s) => {
    // 4 two-byte characters = 8 bytes; 24 three-byte characters = 72 bytes; 3 characters of 8 bytes is too short.
    assert.equal((await register(s.app, uniqueName("eight"), s.secret("éééé"))).status, 201);
    assert.equal((await register(s.app, uniqueName("seventy2"), s.secret("€".repeat(24)))).status, 201);
    assert.equal((await register(s.app, uniqueName("ascii72"), s.secret("x".repeat(72)))).status, 201);
    const tooShort = await register(s.app, uniqueName("seven"), "ééé1");
    assert.equal(tooShort.status, 400);
    assert.deepEqual(tooShort.body, { error: "password must be at least 8 bytes" });
    // The boundaries of the username rule.
    assert.equal((await register(s.app, `a${crypto.randomUUID().slice(0, 2)}`, newPassword())).status, 201);
    assert.equal(
      (await register(s.app, `${"b".repeat(24)}${crypto.randomUUID().slice(0, 8)}`, newPassword())).status,
      201,
    );
  }));

Deno.test("register: 415 without a JSON content type (fetch text/plain, raw socket without any)", () =>
  withApp({}, async (s) => {
    const body = JSON.stringify({ username: uniqueName("ctype"), password: newPassword() });
    const plain = await postJson(s.app, "/api/register", body, "text/plain");
    assert.equal(plain.status, 415);
    assert.deepEqual(plain.body, { error: "Content-Type must be application/json" });
    const form = await postJson(s.app, "/api/register", body, "application/x-www-form-urlencoded");
    assert.equal(form.status, 415);

    const bare = await raw(s.app, post("/api/register", body));
    assert.equal(bare.status, 415);
    assert.equal(bare.text, '{"error":"Content-Type must be application/json"}');
  }));

Deno.test("register: 409 for a username taken in another capitalisation", () =>
  withApp({}, async (s) => {
    const username = uniqueName("TakenName");
    assert.equal((await register(s.app, username, s.secret(newPassword()))).status, 201);
    for (const variant of [username, username.toLowerCase(), username.toUpperCase()]) {
      const again = await register(s.app, variant, s.secret(newPassword()));
      assert.equal(again.status, 409, variant);
      assert.deepEqual(again.body, { error: "Username already exists" });
    }
  }));

Deno.test("register race: 20 concurrent registrations of one new name → exactly one 201 and nineteen 409", () =>
  withApp({}, async (s) => {
    const username = uniqueName("racer");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => register(s.app, username, s.secret(newPassword()))),
    );
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array(19).fill(409)]);
    for (const r of responses) {
      if (r.status === 409) assert.deepEqual(r.body, { error: "Username already exists" });
    }
    const [row] = await s.db.query<{ n: number }>(
      "SELECT count(*)::integer AS n FROM users WHERE lower(username) = $1",
      [
        username.toLowerCase(),
      ],
    );
    assert.equal(row.n, 1);
  }));

// ── Login ──────────────────────────────────────────────────────────────────────

Deno.test("login: 200 {message, token, token_type Bearer, expires_in} with a well-formed HS256 JWT", () =>
  withApp({}, async (s) => {
    const username = uniqueName("Login_Me");
    const password = s.secret(newPassword());
    assert.equal((await register(s.app, username, password)).status, 201);
    // The name is matched ignoring case.
    const response = await login(s.app, username.toLowerCase(), password);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), ["expires_in", "message", "token", "token_type"]);
    assert.equal(response.body.message, "Login successful");
    assert.equal(response.body.token_type, "Bearer");
    assert.equal(response.body.expires_in, 30 * 60);
    assert.equal(response.headers.get("cache-control"), "no-store", "a token answer is never cached");
    const token = s.secret(response.body.token as string);

    assert.deepEqual(decodeProtectedHeader(token), { alg: "HS256", typ: "JWT" });
    const claims = decodeJwt(token);
    const user = (await s.users.findByUsername(username))!;
    assert.equal(claims.sub, user.id);
    assert.equal(claims.username, username);
    assert.equal(claims.role, "user");
    assert.equal(claims.iss, "h1server");
    assert.equal(claims.aud, "h1server");
    assert.equal(typeof claims.jti, "string");
    assert.equal(claims.exp! - claims.iat!, 30 * 60);
    assert.ok(Math.abs(claims.iat! * 1000 - Date.now()) < 60_000);
  }));

Deno.test("login: wrong password and unknown user both answer 401 with the identical body (raw bytes)", () =>
  withApp({}, async (s) => {
    const { username } = await signUp(s, "victim");
    const normalise = (r: RawResponse) =>
      r.head.split("\r\n").filter((line) => !/^(date|x-request-id):/i.test(line)).join("\r\n") + r.text;

    const wrong = await raw(
      s.app,
      post("/api/login", JSON.stringify({ username, password: "wrong-password-1" }), "Content-Type: application/json"),
    );
    const unknown = await raw(
      s.app,
      post(
        "/api/login",
        JSON.stringify({ username: uniqueName("ghost"), password: "wrong-password-1" }),
        "Content-Type: application/json",
      ),
    );
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.text, '{"error":"Invalid credentials"}');
    assert.equal(unknown.text, wrong.text);
    assert.equal(normalise(unknown), normalise(wrong), "same status line, fields and body");
    assert.equal(wrong.header("www-authenticate"), null);
  }));

Deno.test("login: 400 for a missing field (no strict rules at login), 415 without JSON", () =>
  withApp({}, async (s) => {
    const noPassword = await postJson(s.app, "/api/login", { username: "someone" });
    assert.equal(noPassword.status, 400);
    assert.deepEqual(noPassword.body, { error: "password is required" });
    const noUser = await postJson(s.app, "/api/login", { password: "whatever-1" });
    assert.deepEqual(noUser.body, { error: "username is required" });
    const plain = await postJson(s.app, "/api/login", { username: "a", password: "b" }, "text/plain");
    assert.equal(plain.status, 415);
  }));

Deno.test("login: a password longer than 72 bytes is refused, not truncated to a matching prefix", () =>
  withApp({}, async (s) => {
    // bcrypt reads only the first 72 bytes: registration refuses longer passwords, and login must not accept
    // "the real 72-byte password followed by anything".
    const username = uniqueName("trunc");
    const password = s.secret("p".repeat(40) + crypto.randomUUID().replaceAll("-", ""));
    assert.equal(new TextEncoder().encode(password).length, 72);
    assert.equal((await register(s.app, username, password)).status, 201);
    s.secret((await s.users.findByUsername(username))!.passwordHash);
    assert.equal((await login(s.app, username, password)).status, 200);

    const longer = await login(s.app, username, s.secret(`${password}-not-the-password`));
    assert.equal(longer.status, 401, `a 90-byte password sharing the first 72 bytes logged in: ${longer.text}`);
  }));

Deno.test("login: unknown users and too-long passwords cost one bcrypt comparison of the same cost as a real one", async () => {
  // The answer must not tell, by its time, whether the username exists: every login path compares once.
  await using embedded = await openTestEmbedded({ threaded: true });
  const compared: string[] = [];
  const counting: PasswordHasher = {
    hash: (password) => TEST_HASHER.hash(password),
    verify: (password, hash) => {
      compared.push(hash);
      return TEST_HASHER.verify(password, hash);
    },
    needsRehash: (hash) => TEST_HASHER.needsRehash(hash),
    close: () => {},
  };
  await using app = await launchApp({}, {}, { database: embedded.db, passwords: counting });
  const username = uniqueName("timing");
  assert.equal((await register(app, username, "right-password-1")).status, 201);
  const stored = (await new UserRepository(embedded.db).findByUsername(username))!.passwordHash;

  assert.equal((await login(app, username, "wrong-password-1")).status, 401);
  assert.equal((await login(app, uniqueName("nobody"), "wrong-password-1")).status, 401);
  assert.equal((await login(app, username, "x".repeat(73))).status, 401);
  assert.equal(compared.length, 3, "one comparison per login");
  assert.equal(compared[0], stored);
  assert.notEqual(compared[1], stored, "the unknown user is compared against the dummy hash");
  assert.equal(compared[2], compared[1], "a too-long password is compared against the dummy hash");
  assert.equal(bcrypt.getRounds(compared[1]), bcrypt.getRounds(stored), "the dummy hash has the configured cost");
});

// ── Protected routes ───────────────────────────────────────────────────────────

Deno.test("profile: with the token → id, username, role user, created_at (ISO, from the database)", () =>
  withApp({}, async (s) => {
    const { username, token, user } = await signUp(s, "Profile");
    const response = await getWith(s.app, "/api/profile", `Bearer ${token}`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, {
      id: user.id,
      username,
      role: "user",
      created_at: user.createdAt.toISOString(),
    });
    assert.match(response.body.created_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(response.body.created_at as string) - Date.now()) < 60_000);
    // The scheme name is case-insensitive.
    assert.equal((await getWith(s.app, "/api/profile", `bearer ${token}`)).status, 200);
  }));

Deno.test("protected answers are no-store (never cached); public ones are not marked", () =>
  withApp({}, async (s) => {
    const { token } = await signUp(s, "nostore");
    for (const path of ["/api/profile", "/api/protected_data"]) {
      const response = await getWith(s.app, path, `Bearer ${token}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("cache-control"), "no-store", path);
    }
    assert.equal((await getWith(s.app, "/api/data")).headers.get("cache-control"), null);
  }));

Deno.test("protected_data names the caller", () =>
  withApp({}, async (s) => {
    const { username, token } = await signUp(s, "Reader");
    const response = await getWith(s.app, "/api/protected_data", `Bearer ${token}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.owner, username);
    assert.equal(response.body.message, `Hello, ${username}. This data is only for signed-in users.`);
    assert.ok(Array.isArray(response.body.items));
  }));

Deno.test('no Authorization → 401 with www-authenticate: Bearer realm="h1server" (raw socket)', () =>
  withApp({}, async (s) => {
    for (const path of ["/api/profile", "/api/protected_data", "/api/admin/stats"]) {
      const response = await raw(s.app, get(path));
      assert.equal(response.status, 401, path);
      assert.equal(response.header("www-authenticate"), REALM);
      assert.equal(response.headerCount("www-authenticate"), 1);
      assert.equal(response.text, '{"error":"Authentication required"}');
    }
  }));

Deno.test("a token in the query string only (?token= / ?access_token=) → 401, and it is not logged", () =>
  withApp({}, async (s) => {
    const { token } = await signUp(s, "query");
    for (const name of ["token", "access_token"]) {
      for (const path of ["/api/profile", "/api/protected_data"]) {
        const response = await raw(s.app, get(`${path}?${name}=${token}`));
        assert.equal(response.status, 401, `${path}?${name}=`);
        assert.equal(response.header("www-authenticate"), REALM);
      }
    }
  }));

Deno.test("an Authorization field that is not a Bearer token → 401 with a Bearer challenge", () =>
  withApp({}, async (s) => {
    const { username, password } = await signUp(s, "basic");
    for (const value of [`Basic ${btoa(`${username}:${password}`)}`, "Bearer", "Bearer ", "Token abc.def.ghi"]) {
      const response = await getWith(s.app, "/api/profile", value);
      assert.equal(response.status, 401, value);
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer realm="h1server"/);
    }
  }));

// ── Token attacks ──────────────────────────────────────────────────────────────

function b64url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

interface ForgeOptions {
  readonly claims?: Record<string, unknown>;
  /** Claims to leave out. */
  readonly omit?: readonly string[];
  readonly alg?: "HS256" | "HS384" | "HS512";
  readonly typ?: string;
  readonly key?: Uint8Array;
}

/** A token like the server's own for `user`, changed as asked (by default: valid). */
async function forge(user: User, options: ForgeOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    sub: user.id,
    username: user.username,
    role: user.role,
    iss: "h1server",
    aud: "h1server",
    iat: now,
    exp: now + 600,
    jti: crypto.randomUUID(),
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete payload[name];
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: options.typ ?? "JWT" })
    .sign(options.key ?? KEY);
}

/** `token` with its payload replaced (the signature kept). */
function tamper(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(
    new TextDecoder().decode(
      Uint8Array.from(atob(payload.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)),
    ),
  );
  change(claims);
  return `${header}.${b64url(JSON.stringify(claims))}.${signature}`;
}

async function assertInvalidToken(s: Session, token: string, what: string, paths = ["/api/profile"]): Promise<void> {
  for (const path of paths) {
    const response = await getWith(s.app, path, `Bearer ${token}`);
    assert.equal(response.status, 401, `${what} on ${path}: ${response.status} ${response.text}`);
    assert.match(response.headers.get("www-authenticate") ?? "", INVALID_TOKEN, `${what}: www-authenticate`);
    assert.deepEqual(response.body, { error: "Invalid or expired token" }, what);
  }
}

Deno.test("a forged token with every claim right is accepted (the attack tests below differ in one thing only)", () =>
  withApp({}, async (s) => {
    const { user } = await createAccount(s, "user");
    const response = await getWith(s.app, "/api/profile", `Bearer ${s.secret(await forge(user))}`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.id, user.id);
  }));

const now = () => Math.floor(Date.now() / 1000);

const ATTACKS: [string, (user: User, real: string) => Promise<string> | string][] = [
  [
    "alg none with a made-up signature",
    (user) =>
      `${b64url('{"alg":"none","typ":"JWT"}')}.${
        b64url(
          JSON.stringify({
            sub: user.id,
            username: user.username,
            role: "admin",
            iss: "h1server",
            aud: "h1server",
            iat: now(),
            exp: now() + 600,
            jti: "x",
          }),
        )
      }.c2ln`,
  ],
  ["payload tampered (role admin), old signature", (_user, real) => tamper(real, (c) => (c.role = "admin"))],
  ["payload tampered (exp extended), old signature", (_user, real) => tamper(real, (c) => (c.exp = now() + 86_400))],
  [
    "signed with a wrong key",
    (user) => forge(user, { key: new TextEncoder().encode("another-secret-key-of-at-least-32-bytes!!") }),
  ],
  ["HS512 with the right key while HS256 is configured", (user) => forge(user, { alg: "HS512" })],
  ["HS384 with the right key while HS256 is configured", (user) => forge(user, { alg: "HS384" })],
  ["expired", (user) => forge(user, { claims: { iat: now() - 3600, exp: now() - 60 } })],
  ["without exp", (user) => forge(user, { omit: ["exp"] })],
  ["not yet valid (nbf in the future)", (user) => forge(user, { claims: { nbf: now() + 3600 } })],
  ["wrong issuer", (user) => forge(user, { claims: { iss: "someone-else" } })],
  ["wrong audience", (user) => forge(user, { claims: { aud: "another-service" } })],
  ["without sub", (user) => forge(user, { omit: ["sub"] })],
  ["without jti", (user) => forge(user, { omit: ["jti"] })],
  ["a role that does not exist", (user) => forge(user, { claims: { role: "root" } })],
  ["typ other than JWT", (user) => forge(user, { typ: "at+jwt" })],
  ["garbage in three base64url parts", () => "Z2FyYmFnZQ.bm90IGpzb24.AAAA"],
  ["another user's id in a tampered sub", (_user, real) => tamper(real, (c) => (c.sub = crypto.randomUUID()))],
];

for (const [name, make] of ATTACKS) {
  Deno.test(`token attack: ${name} → 401 with error="invalid_token"`, () =>
    withApp({}, async (s) => {
      const { user, token } = await signUp(s, "target");
      const attack = s.secret(await make(user, token));
      await assertInvalidToken(s, attack, name, ["/api/profile", "/api/protected_data", "/api/admin/stats"]);
      // The real token still works: the refusal was about the attack, not the account.
      assert.equal((await getWith(s.app, "/api/profile", `Bearer ${token}`)).status, 200);
    }));
}

Deno.test('malformed bearer tokens (unsigned alg "none" JWS, non-JWS garbage) → 401 with error="invalid_token"', () =>
  withApp({}, async (s) => {
    // RFC 6750 §3.1: a malformed access token is invalid_token; invalid_request is for a malformed request.
    const { user } = await signUp(s, "malformed");
    const claims = { sub: user.id, username: user.username, role: "admin", iss: "h1server", aud: "h1server" };
    const unsigned = `${b64url('{"alg":"none","typ":"JWT"}')}.${
      b64url(JSON.stringify({ ...claims, iat: now(), exp: now() + 600, jti: "j" }))
    }.`;
    await assertInvalidToken(s, unsigned, 'alg "none", empty signature');
    await assertInvalidToken(s, "garbage", "a single word");
    await assertInvalidToken(s, "a.b", "two parts");
  }));

Deno.test("a valid token whose user was deleted → 401 invalid_token (also after the token was cached)", () =>
  withApp({}, async (s) => {
    const { token, user } = await signUp(s, "deleted");
    assert.equal((await getWith(s.app, "/api/profile", `Bearer ${token}`)).status, 200);
    await s.db.query("DELETE FROM users WHERE id = $1", [user.id]);
    await assertInvalidToken(s, token, "deleted user", ["/api/profile", "/api/protected_data"]);
  }));

// ── Roles ──────────────────────────────────────────────────────────────────────

Deno.test("admin route: 403 for a user (even with a validly signed role=admin claim), 200 for an admin", () =>
  withApp({}, async (s) => {
    const { token, user } = await signUp(s, "plain");
    const denied = await getWith(s.app, "/api/admin/stats", `Bearer ${token}`);
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { error: "Forbidden" });
    assert.equal(denied.headers.get("www-authenticate"), `${REALM}, error="insufficient_scope"`);

    // The role comes from the database, not from the token.
    const claimsAdmin = s.secret(await forge(user, { claims: { role: "admin" } }));
    assert.equal((await getWith(s.app, "/api/admin/stats", `Bearer ${claimsAdmin}`)).status, 403);

    const admin = await createAccount(s, "admin");
    const loggedIn = await login(s.app, admin.username, admin.password);
    assert.equal(loggedIn.status, 200);
    const adminToken = s.secret(loggedIn.body.token as string);
    assert.equal(decodeJwt(adminToken).role, "admin");
    const stats = await getWith(s.app, "/api/admin/stats", `Bearer ${adminToken}`);
    assert.equal(stats.status, 200, stats.text);
    assert.deepEqual(stats.body, { users: await s.users.count() });
    const profile = await getWith(s.app, "/api/profile", `Bearer ${adminToken}`);
    assert.equal(profile.body.role, "admin");
  }));

// ── Brute force ────────────────────────────────────────────────────────────────

interface Attempt {
  readonly status: number;
  readonly retryAfter: number | null;
  readonly body: Record<string, unknown>;
}

async function attempt(app: TestApp, username: string, password: string): Promise<Attempt> {
  const response = await login(app, username, password);
  const retry = response.headers.get("retry-after");
  return { status: response.status, retryAfter: retry === null ? null : Number(retry), body: response.body };
}

/** Wrong passwords until the first 429 (at most `limit` attempts); returns the 401 count and the 429. */
async function failUntilLocked(
  app: TestApp,
  username: string,
  limit: number,
): Promise<{ free: number; locked: Attempt }> {
  for (let free = 0; free < limit; free++) {
    const result = await attempt(app, username, "definitely-wrong-1");
    if (result.status === 429) return { free, locked: result };
    assert.equal(result.status, 401, `attempt ${free + 1}`);
  }
  assert.fail(`no 429 within ${limit} wrong passwords`);
}

function assertTooMany(result: Attempt, what: string): void {
  assert.equal(result.status, 429, what);
  assert.ok(result.retryAfter !== null && Number.isInteger(result.retryAfter) && result.retryAfter >= 1, what);
  assert.deepEqual(result.body, { error: `Too many failed attempts; try again in ${result.retryAfter} s` }, what);
}

Deno.test("brute force: with LOGIN_FREE_FAILURES=2, wrong passwords for one username → 401, 401, then 429", () =>
  withApp({ LOGIN_FREE_FAILURES: "2" }, async (s) => {
    // README: "After LOGIN_FREE_FAILURES failures for one username or one client address, further attempts get 429".
    const { username } = await signUp(s, "brute");
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await attempt(s.app, username, "definitely-wrong-1"));
    assert.deepEqual(results.map((r) => r.status), [401, 401, 429]);
    assertTooMany(results[2], "third attempt");
  }));

Deno.test("brute force: with LOGIN_FREE_FAILURES=2, the correct password right after two failures is 429", () =>
  withApp({ LOGIN_FREE_FAILURES: "2" }, async (s) => {
    // "further attempts get 429" holds whatever the password: the third guess must not be checked at all.
    const { username, password } = await signUp(s, "third");
    assert.equal((await attempt(s.app, username, "definitely-wrong-1")).status, 401);
    assert.equal((await attempt(s.app, username, "definitely-wrong-1")).status, 401);
    const third = await attempt(s.app, username, password);
    if (third.status === 200) s.secret(third.body.token as string);
    assertTooMany(third, "the correct password as the third attempt");
  }));

Deno.test("brute force: a locked username gets 429 (correct password too); Retry-After grows with each lock, capped", () =>
  withApp({ LOGIN_FREE_FAILURES: "2", LOGIN_MAX_LOCK_SECONDS: "2" }, async (s) => {
    const { username, password } = await signUp(s, "grow");
    const first = await failUntilLocked(s.app, username, 4);
    assert.ok(first.free >= 2, `the 2 free failures are answered 401 (got ${first.free})`);
    assertTooMany(first.locked, "first lock");
    assert.equal(first.locked.retryAfter, 1, "the first lock is 1 s");
    assertTooMany(await attempt(s.app, username, password), "the correct password during the lock");

    // Each lock period: poll (wrong password) until the lock has ended; that attempt is a new failure
    // (401) which locks for longer; the next attempt shows the new lock's Retry-After.
    const longest: number[] = [first.locked.retryAfter!];
    for (const expected of [2, 2]) {
      await pollUntil("the lock to end", async () => {
        const result = await attempt(s.app, username, "definitely-wrong-1");
        if (result.status === 429) return undefined;
        assert.equal(result.status, 401);
        return result;
      }, { timeoutMs: 5_000, intervalMs: 100 });
      const next = await attempt(s.app, username, "definitely-wrong-1");
      assertTooMany(next, `lock after ${longest.length + 2} failures`);
      longest.push(next.retryAfter!);
      assert.equal(next.retryAfter, expected);
    }
    assert.deepEqual(longest, [1, 2, 2], "1 s, doubled to 2 s, capped at LOGIN_MAX_LOCK_SECONDS=2");
  }));

Deno.test("brute force: once the lock has ended the correct password succeeds and resets the counter", () =>
  withApp({ LOGIN_FREE_FAILURES: "2", LOGIN_MAX_LOCK_SECONDS: "1" }, async (s) => {
    const { username, password } = await signUp(s, "reset");
    await failUntilLocked(s.app, username, 4);
    const success = await pollUntil("the lock to end", async () => {
      const result = await attempt(s.app, username, password);
      if (result.status === 429) return undefined;
      return result;
    }, { timeoutMs: 5_000, intervalMs: 100 });
    assert.equal(success.status, 200);
    s.secret(success.body.token as string);
    // Counting starts again: both free failures are plain 401s (without the reset the first would lock).
    assert.equal((await attempt(s.app, username, "definitely-wrong-1")).status, 401);
    assert.equal((await attempt(s.app, username, "definitely-wrong-1")).status, 401);
    const [row] = await s.db.query<{ failures: number }>("SELECT failures FROM login_throttle WHERE key = $1", [
      `user:${username.toLowerCase()}`,
    ]);
    assert.equal(row.failures, 2);
  }));

Deno.test("brute force: failures from one address across different usernames lock that address", () =>
  withApp({ LOGIN_FREE_FAILURES: "2", LOGIN_MAX_LOCK_SECONDS: "60" }, async (s) => {
    const real = await createAccount(s, "user");
    const statuses: number[] = [];
    let locked: Attempt | null = null;
    for (let i = 0; i < 4 && locked === null; i++) {
      // A different, unknown username each time: no username reaches its own limit.
      const result = await attempt(s.app, uniqueName(`spray${i}`), "definitely-wrong-1");
      statuses.push(result.status);
      if (result.status === 429) locked = result;
    }
    assert.ok(locked !== null, `no 429 across usernames: ${statuses}`);
    assertTooMany(locked, "address lock");
    assert.ok(statuses.filter((st) => st === 401).length >= 2, `2 free failures first: ${statuses}`);
    // A user who never failed, with the right password, is refused too: the address is locked.
    assertTooMany(await attempt(s.app, real.username, real.password), "another account from the locked address");
  }));

// ── Re-hashing ─────────────────────────────────────────────────────────────────

Deno.test("re-hash: a stored hash of another cost is replaced by one of the configured cost at login", () =>
  withApp({}, async (s) => {
    const { username, password, user } = await createAccount(s, "user", new InlineHasher(5));
    assert.equal(bcrypt.getRounds(user.passwordHash), 5);
    assert.equal((await login(s.app, username, password)).status, 200);
    const after = (await s.users.findById(user.id))!;
    s.secret(after.passwordHash);
    assert.notEqual(after.passwordHash, user.passwordHash);
    assert.equal(bcrypt.getRounds(after.passwordHash), 4, "BCRYPT_COST=4");
    assert.equal(await TEST_HASHER.verify(password, after.passwordHash), true);

    // A hash of the configured cost is left alone.
    assert.equal((await login(s.app, username, password)).status, 200);
    assert.equal((await s.users.findById(user.id))!.passwordHash, after.passwordHash);
  }));

Deno.test("re-hash: a failed login never replaces the hash", () =>
  withApp({}, async (s) => {
    const { username, user } = await createAccount(s, "user", new InlineHasher(5));
    assert.equal((await login(s.app, username, "definitely-wrong-1")).status, 401);
    assert.equal((await s.users.findById(user.id))!.passwordHash, user.passwordHash);
  }));

// ── Logs ───────────────────────────────────────────────────────────────────────

Deno.test("no password, hash or token in the log lines, across successes, failures and refusals", () =>
  withApp({ LOGIN_FREE_FAILURES: "1" }, async (s) => {
    const { username, password, token } = await signUp(s, "logs");
    await getWith(s.app, "/api/profile", `Bearer ${token}`);
    await raw(s.app, get(`/api/profile?token=${token}&password=${password}`));
    await getWith(s.app, "/api/profile", `Bearer ${tamper(token, (c) => (c.role = "admin"))}`);
    await postJson(s.app, "/api/register", { username, password: s.secret(newPassword()) }); // 409
    await postJson(s.app, "/api/register", { username: "x", password: s.secret(newPassword()) }); // 400
    await login(s.app, username, s.secret(newPassword())); // 401
    await login(s.app, username, s.secret(newPassword())); // 401 or 429
    await login(s.app, username, password); // 429
    const lines = s.app.logs.lines;
    assert.ok(lines.some((line) => line.includes("/api/login")), "access lines were captured");
    // withApp checks every line for every secret recorded above.
  }));
