/**
 * The web page (webroot/) end to end: the real app on a free port with an embedded database of
 * its own, driven in Debian's Chromium through playwright-core (helpers/browser.ts). A person's
 * path through the page, step by step: register, log in, see the profile and the protected data,
 * log out; the server's refusals shown as the server words them; sessions that end; the public
 * API panel; keyboard-only use and a 360 px phone screen.
 *
 * Every step fails on a console error, an uncaught exception, a Content-Security-Policy
 * violation, a request to anywhere but the app, or an API refusal (4xx) it did not expect.
 * Screenshots of the signed-in view, and of any failure, go to test-results/screenshots/.
 *
 * Without /usr/bin/chromium the browser test is reported as ignored, with the reason in its name
 * (in CI, where CI is set, it runs and fails instead). The check that the page's form rules give
 * the server's own messages needs no browser and always runs.
 */
import assert from "node:assert/strict";
import type { BrowserContext, Locator, Page, Request } from "playwright-core";
import { DEFAULT_PAGE_CSP } from "../src/app/middleware/security_headers.ts";
import type { Database } from "../src/db/database.ts";
import { userKey } from "../src/db/login_throttle.ts";
import { UserRepository } from "../src/db/users.ts";
import { loginProblems, registrationProblems } from "../webroot/validation.js";
import { launchApp, type TestApp } from "./helpers/app_core.ts";
import {
  CHROMIUM_PATH,
  chromiumInstalled,
  cspReportsDelivered,
  launchChromium,
  type PageWatch,
  type Refusal,
  reportCspViolationsOf,
  screenshot,
  SCREENSHOT_DIR,
  watch,
} from "./helpers/browser.ts";
import { openTestEmbedded } from "./helpers/embedded.ts";

/**
 * The browser globals that the functions run in the page (page.evaluate) use. Declared here,
 * for this module only: the "dom" lib would apply to every file of the type check.
 */
interface PageElement {
  readonly id: string;
  textContent: string | null;
  append(...nodes: PageElement[]): void;
  insertAdjacentHTML(position: "beforeend", html: string): void;
}
declare const document: {
  readonly activeElement: PageElement | null;
  readonly body: PageElement;
  readonly documentElement: { readonly scrollWidth: number };
  readonly cookie: string;
  createElement(tag: string): PageElement;
  getElementById(id: string): PageElement;
  querySelectorAll(selectors: string): { readonly length: number };
};
declare function getComputedStyle(
  element: PageElement,
): { readonly margin: string; readonly outlineStyle: string; readonly color: string };

// ── The page's own checks agree with the server (no browser needed) ───────────

Deno.test("the page's form checks give the server's own message for the same input", async () => {
  await using embedded = await openTestEmbedded({ threaded: true });
  await using app = await launchApp({}, {}, { database: embedded.db });
  const cases: [string, string][] = [
    ["", "long enough"],
    ["ab", "long enough"],
    ["a".repeat(33), "long enough"],
    ["bad name", "long enough"],
    ["bad/name", "long enough"],
    ["valid_name", ""],
    ["valid_name", "short"],
    ["valid_name", "1234567"],
    ["valid_name", "ééé"], // 6 bytes in 3 characters
    ["valid_name", "x".repeat(73)],
    ["valid_name", "é".repeat(37)], // 74 bytes in 37 characters
  ];
  for (const [username, password] of cases) {
    const problems = registrationProblems(username, password);
    const expected = problems.username ?? problems.password;
    assert.ok(expected !== undefined, `the page accepts ${JSON.stringify([username, password])}`);
    const response = await app.fetch("/api/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 400, JSON.stringify([username, password]));
    assert.deepEqual(await response.json(), { error: expected });
  }
  // At the limits the page sends the request, and the server takes it.
  for (const [username, password] of [["abc", "12345678"], ["a.b-c_" + "d".repeat(26), "é".repeat(36)]]) {
    assert.deepEqual(registrationProblems(username, password), {});
    const response = await app.fetch("/api/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 201, username);
    await response.body?.cancel();
  }
  assert.deepEqual(loginProblems("", ""), { username: "username is required", password: "password is required" });
  assert.deepEqual(loginProblems("someone", "x"), {});
});

// ── In Chromium ───────────────────────────────────────────────────────────────

const TEST_NAME = "the page in Chromium: register, log in, see protected data, log out, refusals, keyboard, phone";
const HAVE_CHROMIUM = chromiumInstalled();
const IN_CI = Deno.env.get("CI") !== undefined;

Deno.test({
  name: HAVE_CHROMIUM || IN_CI
    ? TEST_NAME
    : `${TEST_NAME} (ignored: ${CHROMIUM_PATH} not found; apt-get install chromium)`,
  ignore: !HAVE_CHROMIUM && !IN_CI,
  // Playwright keeps a pipe to the browser process and timers of its own for the whole test
  // (and so do the steps); the browser, the app and the database are closed by `await using`
  // when the test ends, however it ends.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM_PATH} not found: CI must install Debian's chromium (.ci/run does)`);
    // Only this run's screenshots: a failure picture from an earlier run would mislead.
    await Deno.remove(SCREENSHOT_DIR, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await using embedded = await openTestEmbedded({ threaded: true });
    await using app = await launchApp({}, {}, { database: embedded.db });
    await using browser = await launchChromium();
    await reportCspViolationsOf(browser.context);
    const s = new Run(t, app, embedded.db, browser.context);
    browser.context.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(`${app.baseUrl}/`)) s.strays.push(url);
    });
    await runSteps(s);
  },
});

/** What the steps share: the app, its database, the browser, the watched pages. */
class Run {
  readonly users: UserRepository;
  /** Requests to anywhere but the app (the page must need nothing else). */
  readonly strays: string[] = [];
  #watches = new Map<Page, PageWatch>();
  #failed = false;
  /** The page the current step uses, for the failure screenshot. */
  current: Page | null = null;

  constructor(
    readonly t: Deno.TestContext,
    readonly app: TestApp,
    readonly db: Database,
    readonly context: BrowserContext,
  ) {
    this.users = new UserRepository(db);
  }

  /** A new tab (so a new sessionStorage), watched; at `width` × 800 if given. */
  async newPage(width?: number): Promise<Page> {
    const page = await this.context.newPage();
    this.#watches.set(page, watch(page));
    if (width !== undefined) await page.setViewportSize({ width, height: 800 });
    this.current = page;
    return page;
  }

  watchOf(page: Page): PageWatch {
    const found = this.#watches.get(page);
    assert.ok(found, "a page opened with newPage()");
    return found;
  }

  /**
   * The API refusals `page` logged since the last call must be exactly `expected`, in any
   * order (the page sends some requests in parallel).
   */
  refusals(page: Page, expected: Refusal[]): void {
    const order = (a: Refusal, b: Refusal) => a.path.localeCompare(b.path) || a.status - b.status;
    assert.deepEqual(this.watchOf(page).takeRefusals().sort(order), [...expected].sort(order));
  }

  /**
   * One behaviour. After it, no page may have reported a problem or an unexpected refusal.
   * On failure a screenshot is saved; once a step has failed, the later ones (which build on
   * it) are skipped.
   */
  async step(name: string, fn: () => Promise<void>): Promise<void> {
    const ok = await this.t.step({
      name,
      ignore: this.#failed,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        try {
          await fn();
          this.assertClean();
        } catch (error) {
          if (this.current !== null && !this.current.isClosed()) {
            const path = await screenshot(this.current, `failure-${slug(name)}`).catch(() => null);
            if (path !== null) console.error(`screenshot of the failure: ${path}`);
          }
          throw error;
        }
      },
    });
    if (!ok) this.#failed = true;
  }

  assertClean(): void {
    for (const [page, pageWatch] of this.#watches) {
      assert.deepEqual(pageWatch.problems, [], `problems reported by ${page.url()}`);
      assert.deepEqual(pageWatch.takeRefusals(), [], `API refusals nobody expected on ${page.url()}`);
    }
    assert.deepEqual(this.strays, [], "requests to other origins");
  }

  /** Closes a page that is no longer needed (its watch stays checked until then). */
  async closePage(page: Page): Promise<void> {
    this.assertClean();
    this.#watches.delete(page);
    await page.close();
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80);
}

function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

// ── Page helpers ──────────────────────────────────────────────────────────────

/** Waits until `locator`'s whole text is `expected` (a string, exactly, or a pattern). */
async function waitForText(locator: Locator, expected: string | RegExp): Promise<void> {
  const pattern = typeof expected === "string"
    ? new RegExp(`^${expected.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}$`)
    : expected;
  try {
    await locator.filter({ hasText: pattern }).waitFor();
  } catch (error) {
    const actual = await locator.textContent().catch(() => "(no element)");
    throw new Error(`expected ${pattern} in ${locator}, found ${JSON.stringify(actual)}`, { cause: error });
  }
}

function loginForm(page: Page) {
  const form = page.locator("#login-form");
  return {
    form,
    username: page.locator("#login-username"),
    password: page.locator("#login-password"),
    submit: form.getByRole("button", { name: "Log in" }),
    message: form.locator(".form-message"),
  };
}

function registerForm(page: Page) {
  const form = page.locator("#register-form");
  return {
    form,
    username: page.locator("#register-username"),
    password: page.locator("#register-password"),
    submit: form.getByRole("button", { name: "Create account" }),
    message: form.locator(".form-message"),
  };
}

async function focusedId(page: Page): Promise<string> {
  return await page.evaluate(() => document.activeElement?.id ?? "");
}

async function storedToken(page: Page): Promise<string | null> {
  return await page.evaluate(() => {
    const stored = sessionStorage.getItem("h1server.session");
    return stored === null ? null : JSON.parse(stored).token;
  });
}

async function registerThroughForm(page: Page, username: string, password: string): Promise<void> {
  const register = registerForm(page);
  await register.username.fill(username);
  await register.password.fill(password);
  await register.submit.click();
  await waitForText(register.message, `Account “${username}” created. You can log in with it now.`);
}

async function logInThroughForm(page: Page, username: string, password: string): Promise<void> {
  const login = loginForm(page);
  await login.username.fill(username);
  await login.password.fill(password);
  await login.submit.click();
  await waitForText(page.locator("#signed-in-heading"), `Signed in as ${username}`);
}

/** The log-in form is back, with `message` in the notice and the username field focused. */
async function expectSignedOut(page: Page, message: string): Promise<void> {
  await waitForText(page.locator("#notice"), message);
  await page.locator("#login-form").waitFor();
  assert.equal(await page.locator("#signed-in").isHidden(), true);
  assert.equal(await focusedId(page), "login-username");
  assert.equal(await storedToken(page), null);
}

/**
 * Does what the page's CSP must refuse (an inline style attribute, an inline script) plus a
 * console.error, says whether the style applied and the script ran, and waits until the watch
 * has the reports (the caller then clears the page's problems).
 */
async function tryInlineCode(page: Page): Promise<{ styleApplied: boolean; scriptRan: boolean }> {
  const [, outcome] = await Promise.all([
    page.waitForEvent("console", (message) => message.text() === "deliberate"),
    page.evaluate(() => {
      document.body.insertAdjacentHTML("beforeend", '<p id="csp-probe" style="color: rgb(255, 0, 0)">inline</p>');
      const styleApplied = getComputedStyle(document.getElementById("csp-probe")).color === "rgb(255, 0, 0)";
      const script = document.createElement("script");
      script.textContent = "globalThis.inlineScriptRan = true";
      document.body.append(script);
      console.error("deliberate");
      return { styleApplied, scriptRan: (globalThis as { inlineScriptRan?: boolean }).inlineScriptRan === true };
    }),
  ]);
  if (!outcome.styleApplied && !outcome.scriptRan) {
    // Polled: requestAnimationFrame, the default, does not run in a tab that is not in front.
    await page.waitForFunction(cspReportsDelivered, 2, { polling: 50 });
  }
  return outcome;
}

/** The document is no wider than the viewport: nothing scrolls sideways. */
async function assertNoHorizontalScroll(page: Page, width: number): Promise<void> {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= width, `the page is ${scrollWidth} px wide in a ${width} px viewport`);
}

// ── The steps ─────────────────────────────────────────────────────────────────

async function runSteps(s: Run): Promise<void> {
  const name = uniqueName("reader");
  const password = `pw-${crypto.randomUUID()}`;
  const page = await s.newPage();

  await s.step("the page loads its own script and style under the strict CSP, and nothing else", async () => {
    const response = await page.goto(`${s.app.baseUrl}/`);
    assert.ok(response !== null && response.ok());
    assert.equal(response.headers()["content-security-policy"], DEFAULT_PAGE_CSP);
    const loaded = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((entry) => new URL(entry.name).pathname).sort()
    );
    for (const path of ["/api.js", "/script.js", "/session.js", "/style.css", "/validation.js"]) {
      assert.ok(loaded.includes(path), `${path} was loaded (loaded: ${loaded.join(", ")})`);
    }
    // The stylesheet applies (no inline style could have done it) and the forms are labelled.
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).margin), "0px");
    for (const label of ["Username", "Password"]) {
      assert.equal(await page.locator("#login-form").getByLabel(label, { exact: true }).count(), 1);
      assert.equal(await page.locator("#register-form").getByLabel(label, { exact: true }).count(), 1);
    }
    assert.equal(await page.locator("#signed-in").isHidden(), true);
    const inline = await page.evaluate(() => document.querySelectorAll("[style], style, script:not([src])").length);
    assert.equal(inline, 0, "no inline style or script in the page");
  });

  await s.step("a too-short password is refused next to the field, and nothing is sent", async () => {
    const register = registerForm(page);
    let sent = 0;
    const count = (request: Request) => {
      if (request.url().endsWith("/api/register")) sent++;
    };
    page.on("request", count);
    await register.username.fill(name);
    await register.password.fill("short");
    await register.submit.click();
    const error = page.locator("#register-password-error");
    await waitForText(error, "Password must be at least 8 bytes");
    assert.equal(await register.password.getAttribute("aria-invalid"), "true");
    assert.equal(await focusedId(page), "register-password");
    // The message is part of the field's accessible description.
    assert.match(await register.password.getAttribute("aria-describedby") ?? "", /register-password-error/);

    await register.username.fill("no spaces allowed");
    await register.submit.click();
    await waitForText(
      page.locator("#register-username-error"),
      "Username must be 3 to 32 characters: letters, digits, '_', '.' or '-'",
    );
    assert.equal(await focusedId(page), "register-username");

    // Fixing a field clears its message as the person types.
    await register.password.fill(password);
    await error.waitFor({ state: "hidden" });
    assert.equal(await register.password.getAttribute("aria-invalid"), null);
    page.off("request", count);
    assert.equal(sent, 0, "no registration request for invalid input");
  });

  await s.step("registering a new user says so and prepares the log-in form", async () => {
    await registerThroughForm(page, name, password);
    const login = loginForm(page);
    assert.equal(await login.username.inputValue(), name);
    assert.equal(await focusedId(page), "login-password");
    assert.equal(await registerForm(page).username.inputValue(), "", "the registration form is cleared");
    const user = await s.users.findByUsername(name);
    assert.equal(user?.username, name);
  });

  await s.step("a taken username shows the server's message under the field", async () => {
    const register = registerForm(page);
    await register.username.fill(name.toUpperCase());
    await register.password.fill(password);
    await register.submit.click();
    await waitForText(page.locator("#register-username-error"), "Username already exists");
    assert.equal(await focusedId(page), "register-username");
    s.refusals(page, [{ status: 409, path: "/api/register" }]);
  });

  await s.step("a wrong password shows the server's message and clears the password", async () => {
    const login = loginForm(page);
    await login.username.fill(name);
    await login.password.fill(`${password}-wrong`);
    await login.password.press("Enter");
    await waitForText(login.message, "Invalid credentials");
    assert.equal(await login.password.inputValue(), "");
    assert.equal(await focusedId(page), "login-password");
    assert.equal(await storedToken(page), null);
    s.refusals(page, [{ status: 401, path: "/api/login" }]);
  });

  await s.step("logging in with the keyboard alone shows the profile and the protected data", async () => {
    await page.reload();
    // Tab from the top of the page: the skip link first, then the log-in form.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    await page.keyboard.press("Tab");
    assert.equal(await focusedId(page), "login-username");
    // Keyboard focus is visible.
    assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle), "solid");
    const authorizations: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/api/profile")) authorizations.push(request.headers()["authorization"] ?? "");
    });
    await page.keyboard.type(name);
    await page.keyboard.press("Tab");
    assert.equal(await focusedId(page), "login-password");
    await page.keyboard.type(password);
    await page.keyboard.press("Enter");

    await waitForText(page.locator("#signed-in-heading"), `Signed in as ${name}`);
    assert.equal(await focusedId(page), "signed-in-heading", "focus moves to the signed-in view");
    assert.equal(await page.locator("#signed-out").isHidden(), true);
    const user = await s.users.findByUsername(name);
    assert.ok(user !== null);
    await waitForText(page.locator("#profile-username"), name);
    await waitForText(page.locator("#profile-role"), "user");
    assert.equal(await page.locator("#profile-created").getAttribute("datetime"), user.createdAt.toISOString());
    assert.match(await page.locator("#profile-created").textContent() ?? "", /\b20\d\d\b/);
    await waitForText(page.locator("#protected-message"), `Hello, ${name}. This data is only for signed-in users.`);
    assert.deepEqual(await page.locator("#protected-items li").allTextContents(), [
      "Quarterly report confidential",
      "Roadmap confidential",
    ]);
    assert.equal(await page.locator("#protected-items .badge").count(), 2);
    const token = await storedToken(page);
    assert.ok(token !== null && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token), "a JWT in sessionStorage");
    assert.deepEqual(authorizations, [`Bearer ${token}`]);
    await screenshot(page, "logged-in");
  });

  await s.step("the token lives in sessionStorage only: not in a cookie, localStorage or the URL", async () => {
    const token = await storedToken(page);
    assert.ok(token !== null);
    assert.equal(page.url(), `${s.app.baseUrl}/`);
    assert.deepEqual(await s.context.cookies(), []);
    assert.equal(await page.evaluate(() => document.cookie), "");
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    // A reload of the tab keeps the session.
    await page.reload();
    await waitForText(page.locator("#protected-message"), `Hello, ${name}. This data is only for signed-in users.`);
    // A new tab has a sessionStorage of its own: it starts signed out.
    const other = await s.newPage();
    await other.goto(`${s.app.baseUrl}/`);
    assert.equal(await other.locator("#signed-in").isHidden(), true);
    assert.equal(await storedToken(other), null);
    await s.closePage(other);
    s.current = page;
  });

  await s.step("logging out returns to the log-in form and forgets the token", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await expectSignedOut(page, "You have logged out.");
    assert.equal(await page.locator("#profile-username").textContent(), "…", "the account's data is gone");
    await page.reload();
    assert.equal(await page.locator("#signed-in").isHidden(), true);
  });

  await s.step("a rejected token returns to the log-in form with the server's message", async () => {
    await logInThroughForm(page, name, password);
    // Another signature: the server refuses the token when the page reloads and asks with it.
    await page.evaluate(() => {
      const stored = JSON.parse(sessionStorage.getItem("h1server.session")!);
      stored.token = `${stored.token.slice(0, -4)}AAAA`;
      sessionStorage.setItem("h1server.session", JSON.stringify(stored));
    });
    await page.reload();
    await expectSignedOut(
      page,
      "Your session has ended (the server said: “Invalid or expired token”). Please log in again.",
    );
    s.refusals(page, [{ status: 401, path: "/api/profile" }, { status: 401, path: "/api/protected_data" }]);
  });

  await s.step("an account deleted while signed in: Reload returns to the log-in form", async () => {
    const doomed = uniqueName("doomed");
    await registerThroughForm(page, doomed, password);
    await logInThroughForm(page, doomed, password);
    await s.db.query("DELETE FROM users WHERE username = $1", [doomed]);
    await page.getByRole("button", { name: "Reload" }).click();
    await expectSignedOut(
      page,
      "Your session has ended (the server said: “Invalid or expired token”). Please log in again.",
    );
    s.refusals(page, [{ status: 401, path: "/api/profile" }, { status: 401, path: "/api/protected_data" }]);
  });

  await s.step("a session returns to the log-in form when its token expires", async () => {
    const timed = await s.newPage();
    await timed.clock.install();
    await timed.goto(`${s.app.baseUrl}/`);
    await logInThroughForm(timed, name, password);
    const { expiresAt } = await timed.evaluate(() => JSON.parse(sessionStorage.getItem("h1server.session")!));
    const lifetime = expiresAt - await timed.evaluate(() => Date.now());
    assert.ok(lifetime > 60_000, `the token lives ${lifetime} ms`);
    await timed.clock.fastForward(lifetime - 1_000);
    assert.equal(await timed.locator("#signed-in").isVisible(), true, "still signed in a second before");
    await timed.clock.fastForward(2_000);
    await expectSignedOut(timed, "Your session has expired. Please log in again.");
    await s.closePage(timed);
    s.current = page;
  });

  await s.step("while a log-in runs the form is busy and further submits send nothing", async () => {
    await page.reload();
    let release = () => {};
    const held = new Promise<void>((resolve) => release = resolve);
    let sent = 0;
    await page.route("**/api/login", async (route) => {
      sent++;
      await held;
      await route.continue();
    });
    try {
      const login = loginForm(page);
      await login.username.fill(name);
      await login.password.fill(password);
      await login.password.press("Enter");
      const busy = login.form.getByRole("button", { name: "Logging in…" });
      await busy.waitFor();
      assert.equal(await busy.isDisabled(), true);
      assert.equal(await login.form.getAttribute("aria-busy"), "true");
      // Enter again, a click on the disabled button, and a direct submit: all ignored.
      await login.password.press("Enter");
      await busy.click({ force: true });
      await login.form.evaluate((form: { requestSubmit(): void }) => form.requestSubmit());
      release();
      await waitForText(page.locator("#signed-in-heading"), `Signed in as ${name}`);
      assert.equal(sent, 1, "one log-in request");
      assert.equal(await login.form.getAttribute("aria-busy"), null);
    } finally {
      release();
      await page.unrouteAll({ behavior: "wait" });
    }
    await page.getByRole("button", { name: "Log out" }).click();
    await expectSignedOut(page, "You have logged out.");
  });

  await s.step("the public API panel shows the answers of GET and POST /api/data", async () => {
    const status = page.locator("#api-status");
    const output = page.locator("#api-output");
    await page.getByRole("button", { name: "Send GET" }).click();
    await waitForText(status, "GET /api/data answered 200");
    assert.equal(JSON.parse(await output.textContent() ?? "").message, "Public sample data");

    await page.getByLabel("JSON body").fill('{ "colour": "blue", "n": 3 }');
    await page.getByRole("button", { name: "Send POST" }).click();
    await waitForText(status, "POST /api/data answered 201");
    assert.deepEqual(JSON.parse(await output.textContent() ?? ""), {
      message: "Data received",
      received: { colour: "blue", n: 3 },
    });

    await page.getByLabel("JSON body").fill("{ not json");
    await page.getByRole("button", { name: "Send POST" }).click();
    await waitForText(status, "POST /api/data answered 400");
    assert.equal(typeof JSON.parse(await output.textContent() ?? "").error, "string");
    s.refusals(page, [{ status: 400, path: "/api/data" }]);
  });

  await s.step("too many failed log-ins show the server's wait time", async () => {
    await s.db.query(
      "INSERT INTO login_throttle (key, failures, locked_until) VALUES ($1, 9, now() + interval '120 seconds')",
      [userKey(name)],
    );
    const login = loginForm(page);
    await login.username.fill(name);
    await login.password.fill(password);
    await login.submit.click();
    await waitForText(login.message, /^Too many failed attempts; try again in 1[12]\d s$/);
    assert.equal(await page.locator("#signed-in").isHidden(), true);
    s.refusals(page, [{ status: 429, path: "/api/login" }]);
  });

  await s.step("on a 360 px phone nothing scrolls sideways, signed out or in", async () => {
    const phone = await s.newPage(360);
    await phone.goto(`${s.app.baseUrl}/`);
    await assertNoHorizontalScroll(phone, 360);
    const other = uniqueName("phone_user_with_a_long_name").slice(0, 32);
    await registerThroughForm(phone, other, password);
    await logInThroughForm(phone, other, password);
    await waitForText(phone.locator("#protected-message"), `Hello, ${other}. This data is only for signed-in users.`);
    await phone.getByRole("button", { name: "Send GET" }).click();
    await waitForText(phone.locator("#api-status"), "GET /api/data answered 200");
    await assertNoHorizontalScroll(phone, 360);
    await screenshot(phone, "logged-in-360px");
    await s.closePage(phone);
    s.current = page;
  });

  await s.step("the watch reports CSP violations and console errors", async () => {
    const probe = await s.newPage();
    // A URL the browser has not cached: the page arrives whole, with its policy.
    const response = await probe.goto(`${s.app.baseUrl}/?first-visit`);
    assert.equal(response?.headers()["content-security-policy"], DEFAULT_PAGE_CSP);
    assert.deepEqual(await tryInlineCode(probe), { styleApplied: false, scriptRan: false });
    const problems = s.watchOf(probe).problems;
    for (
      const expected of ["CSP violation: style-src-attr", "CSP violation: script-src-elem", "console error: deliberate"]
    ) {
      assert.ok(problems.some((problem) => problem.startsWith(expected)), `${expected} in ${problems.join("\n")}`);
    }
    problems.length = 0;
    await s.closePage(probe);
    s.current = page;
  });

  await s.step("a page revalidated from the browser's cache (304) keeps the strict CSP", async () => {
    // index.html is "no-cache": a reload asks with If-None-Match and gets 304, whose fields
    // replace the cached ones, the Content-Security-Policy included.
    const response = await page.reload();
    assert.equal(response?.headers()["content-security-policy"], DEFAULT_PAGE_CSP);
    assert.deepEqual(await tryInlineCode(page), { styleApplied: false, scriptRan: false });
    s.watchOf(page).problems.length = 0;
  });
  console.log(`screenshots: ${SCREENSHOT_DIR}`);
}
