/**
 * Debian's Chromium (`apt-get install chromium`) driven through playwright-core, for the
 * page's end-to-end test. No browser is ever downloaded: the executable is the system one,
 * started headless in a fresh user-data dir that is deleted afterwards, with the features that
 * would reach out to the network turned off (the page must work offline).
 *
 * Every page is watched: console errors, uncaught exceptions and Content-Security-Policy
 * violations are collected as problems the test asserts away. The browser's own log line for an
 * API answer of 4xx ("Failed to load resource: ... status of 401") is kept apart as a refusal:
 * the page provokes those on purpose (a wrong password is a 401), so the test states which
 * ones it expects instead of treating them as errors.
 */
import { join } from "node:path";
import type { BrowserContext, ConsoleMessage, Page } from "playwright-core";
import { PROJECT_ROOT } from "../../src/config.ts";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Where the screenshots go (test-results/ is also where CI writes its report; git ignores it). */
export const SCREENSHOT_DIR = join(PROJECT_ROOT, "test-results", "screenshots");

export function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

export interface Chromium extends AsyncDisposable {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * playwright-core, loaded only when a browser is launched. Two things it does when it loads
 * clash with Deno's permissions: it asks for the home directory (the test task grants
 * `--allow-sys=uid,homedir`), and its bundled is-wsl reads /proc/sys/fs/binfmt_misc/WSLInterop,
 * which Deno allows only with --allow-all. is-wsl's own switch __IS_WSL_TEST__ defers that
 * probe; playwright-core consults the answer only to open files in desktop apps, never here.
 */
async function loadPlaywright(): Promise<typeof import("playwright-core")> {
  const homedir = await Deno.permissions.query({ name: "sys", kind: "homedir" });
  if (homedir.state !== "granted") {
    throw new Error(
      "playwright-core reads the home directory when it loads: run the tests with --allow-sys=uid,homedir",
    );
  }
  const previous = Deno.env.get("__IS_WSL_TEST__");
  Deno.env.set("__IS_WSL_TEST__", "1");
  try {
    return await import("playwright-core");
  } finally {
    if (previous === undefined) Deno.env.delete("__IS_WSL_TEST__");
    else Deno.env.set("__IS_WSL_TEST__", previous);
  }
}

/** Chromium with a persistent context in a new temporary user-data dir (removed on close). */
export async function launchChromium(): Promise<Chromium> {
  const { chromium } = await loadPlaywright();
  const userDataDir = await Deno.makeTempDir({ prefix: "h1server-chromium-" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
      locale: "en-GB",
      timezoneId: "UTC",
    });
  } catch (error) {
    await Deno.remove(userDataDir, { recursive: true });
    throw error;
  }
  // Fail fast: the page answers in milliseconds, Playwright's default wait is 30 s.
  context.setDefaultTimeout(10_000);
  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      try {
        await context.close();
      } finally {
        await Deno.remove(userDataDir, { recursive: true });
      }
    })();
  return { context, close, [Symbol.asyncDispose]: close };
}

/** An API answer of 4xx as the browser logged it. */
export interface Refusal {
  readonly status: number;
  readonly path: string;
}

/** What a watched page reported. */
export interface PageWatch {
  /** Console errors, uncaught exceptions and CSP violations: each one fails the test. */
  readonly problems: string[];
  /** Returns the 4xx API answers logged since the last call, and forgets them. */
  takeRefusals(): Refusal[];
}

const NETWORK_ERROR = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

const watches = new WeakMap<Page, PageWatch>();

/** The event the page's CSP reporter listens for (declared here: the "dom" lib would apply program-wide). */
interface ViolationEvent {
  readonly effectiveDirective: string;
  readonly blockedURI: string;
  readonly sourceFile: string;
  readonly lineNumber: number;
}

interface CspReporting {
  readonly document: {
    addEventListener(type: "securitypolicyviolation", listener: (event: ViolationEvent) => void): void;
  };
  reportCspViolation(text: string): Promise<void>;
  /** How many reports the test has received, for waiting on them. */
  cspReportsDelivered?: number;
}

/**
 * Reports `securitypolicyviolation` events to the test. Injected by the browser's debugging
 * protocol before the page's own scripts, so the page's CSP does not apply to it.
 */
function reportCspViolations(): void {
  const page = globalThis as unknown as CspReporting;
  page.document.addEventListener("securitypolicyviolation", async (event) => {
    const where = `${event.sourceFile}:${event.lineNumber}`;
    await page.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${where})`);
    page.cspReportsDelivered = (page.cspReportsDelivered ?? 0) + 1;
  });
}

/** For `page.waitForFunction(cspReportsDelivered, n)`: true once `n` reports have reached the test. */
export function cspReportsDelivered(count: number): boolean {
  return ((globalThis as unknown as CspReporting).cspReportsDelivered ?? 0) >= count;
}

/** Installs the CSP reporter in every page of `context` (call once, before opening pages). */
export async function reportCspViolationsOf(context: BrowserContext): Promise<void> {
  await context.exposeBinding("reportCspViolation", ({ page }, text: string) => {
    watches.get(page)?.problems.push(`CSP violation: ${text}`);
  });
  await context.addInitScript(reportCspViolations);
}

/** Starts collecting what `page` reports (see PageWatch). */
export function watch(page: Page): PageWatch {
  const problems: string[] = [];
  let refusals: Refusal[] = [];
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() !== "error") return;
    const refusal = apiRefusal(message);
    if (refusal !== null) refusals.push(refusal);
    else problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.stack ?? error.message}`));
  const pageWatch: PageWatch = {
    problems,
    takeRefusals() {
      const taken = refusals;
      refusals = [];
      return taken;
    },
  };
  watches.set(page, pageWatch);
  return pageWatch;
}

/** A 4xx answer under /api/ as logged by the browser, or null for any other console error. */
function apiRefusal(message: ConsoleMessage): Refusal | null {
  const match = NETWORK_ERROR.exec(message.text());
  if (match === null) return null;
  const status = Number(match[1]);
  const url = message.location().url;
  if (status < 400 || status > 499 || url === "") return null;
  const path = new URL(url).pathname;
  return path.startsWith("/api/") ? { status, path } : null;
}

/** Saves a full-page screenshot as SCREENSHOT_DIR/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
