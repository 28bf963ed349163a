/**
 * The page: the log-in and registration forms, the signed-in view (profile and protected data,
 * fetched with the bearer token) and a panel for the public API.
 *
 * The Content-Security-Policy allows no inline script or style, so this module changes the page
 * only through the `hidden` attribute, ARIA and data attributes and textContent; writing text,
 * never HTML, also means nothing the server sends can become markup.
 */
import { callApi } from "./api.js";
import * as session from "./session.js";
import { loginProblems, registrationProblems } from "./validation.js";

/**
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return /** @type {T} */ (element);
}

const view = {
  notice: byId("notice"),
  signedOut: byId("signed-out"),
  signedIn: byId("signed-in"),
  /** @type {HTMLFormElement} */
  loginForm: byId("login-form"),
  /** @type {HTMLFormElement} */
  registerForm: byId("register-form"),
  heading: byId("signed-in-heading"),
  accountMessage: byId("account-message"),
  profileUsername: byId("profile-username"),
  profileRole: byId("profile-role"),
  /** @type {HTMLTimeElement} */
  profileCreated: byId("profile-created"),
  protectedMessage: byId("protected-message"),
  protectedItems: byId("protected-items"),
  logout: byId("logout"),
  reload: byId("reload-account"),
  /** @type {HTMLButtonElement} */
  apiGet: byId("api-get"),
  /** @type {HTMLFormElement} */
  apiPostForm: byId("api-post-form"),
  /** @type {HTMLTextAreaElement} */
  apiBody: byId("api-body"),
  apiStatus: byId("api-status"),
  apiOutput: byId("api-output"),
};

const EXPIRED = "Your session has expired. Please log in again.";
/** setTimeout's longest delay (about 24.8 days); a later expiry is waited for in steps. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" });

// ── Messages ──────────────────────────────────────────────────────────────────

/**
 * The server's messages may start in lower case ("password is required"): shown as sentences.
 * @param {string} message
 */
function sentence(message) {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/**
 * Puts `message` in a message region ("" empties it); the tone picks its colours.
 * @param {HTMLElement} region
 * @param {string} message
 * @param {"info" | "success" | "error"} [tone]
 */
function say(region, message, tone = "info") {
  region.textContent = sentence(message);
  region.dataset.tone = tone;
}

/** @param {HTMLFormElement} form */
function formMessage(form) {
  return /** @type {HTMLElement} */ (form.querySelector(".form-message"));
}

// ── Form fields ───────────────────────────────────────────────────────────────

/** @param {HTMLFormElement} form */
function fields(form) {
  return {
    username: /** @type {HTMLInputElement} */ (form.elements.namedItem("username")),
    password: /** @type {HTMLInputElement} */ (form.elements.namedItem("password")),
  };
}

/** @param {HTMLFormElement} form */
function credentials(form) {
  const { username, password } = fields(form);
  return { username: username.value, password: password.value };
}

/**
 * Shows `message` under the field, or clears it when "", and marks the field invalid for
 * assistive technology (the message is part of the field's description).
 * @param {HTMLInputElement} input
 * @param {string} message
 */
function setFieldError(input, message) {
  const error = byId(`${input.id}-error`);
  error.textContent = sentence(message);
  error.hidden = message === "";
  if (message === "") input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
}

/**
 * Shows each problem under its field, clears the other fields' messages and moves focus to
 * the first field with a problem. True when there is none.
 * @param {HTMLFormElement} form
 * @param {import("./validation.js").Problems} problems
 */
function showProblems(form, problems) {
  const { username, password } = fields(form);
  setFieldError(username, problems.username ?? "");
  setFieldError(password, problems.password ?? "");
  const first = problems.username ? username : problems.password ? password : null;
  first?.focus();
  return first === null;
}

/**
 * Once a field shows a problem, it is checked again as the person types, so the message goes
 * away as soon as the input is right (fields without a message are left alone until submit).
 * @param {HTMLFormElement} form
 * @param {(username: string, password: string) => import("./validation.js").Problems} check
 */
function revalidateWhileTyping(form, check) {
  form.addEventListener("input", (event) => {
    const input = /** @type {HTMLInputElement} */ (event.target);
    if (input.getAttribute("aria-invalid") !== "true") return;
    const { username, password } = credentials(form);
    const problems = check(username, password);
    setFieldError(input, problems[/** @type {"username" | "password"} */ (input.name)] ?? "");
  });
}

/**
 * A refusal from the server: a message about one field goes under that field (a taken name
 * under the username), anything else (credentials, throttling, an outage) under the form.
 * @param {HTMLFormElement} form
 * @param {import("./api.js").Answer} answer
 */
function showServerProblem(form, answer) {
  const message = answer.error ?? "";
  const { username, password } = fields(form);
  const field = answer.status === 409 || message.startsWith("username ")
    ? username
    : message.startsWith("password ")
    ? password
    : null;
  if (field === null) {
    say(formMessage(form), message, "error");
    return;
  }
  setFieldError(field, message);
  field.focus();
}

/**
 * Runs `work` with `region` marked busy and `button` disabled and relabelled. A second
 * request while one runs (a double click, Enter pressed twice) is ignored.
 * @param {HTMLElement} region
 * @param {HTMLButtonElement} button
 * @param {string} busyLabel
 * @param {() => Promise<void>} work
 */
async function whileBusy(region, button, busyLabel, work) {
  if (region.getAttribute("aria-busy") === "true") return;
  const label = button.textContent;
  region.setAttribute("aria-busy", "true");
  button.disabled = true;
  button.textContent = busyLabel;
  try {
    await work();
  } finally {
    region.removeAttribute("aria-busy");
    button.disabled = false;
    button.textContent = label;
    // A disabled button loses focus; give it back when nothing else has taken it.
    if (document.activeElement === document.body && !button.closest("[hidden]")) button.focus();
  }
}

/** @param {HTMLFormElement} form */
function submitButton(form) {
  return /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
}

// ── Registration and log-in ───────────────────────────────────────────────────

async function register() {
  const form = view.registerForm;
  const { username, password } = credentials(form);
  say(formMessage(form), "");
  if (!showProblems(form, registrationProblems(username, password))) return;
  const answer = await callApi("POST", "/api/register", { json: { username, password } });
  if (!answer.ok) {
    showServerProblem(form, answer);
    return;
  }
  form.reset();
  say(formMessage(form), `Account “${answer.data.username}” created. You can log in with it now.`, "success");
  const login = fields(view.loginForm);
  login.username.value = answer.data.username;
  login.password.focus();
}

async function logIn() {
  const form = view.loginForm;
  const { username, password } = credentials(form);
  say(formMessage(form), "");
  if (!showProblems(form, loginProblems(username, password))) return;
  const answer = await callApi("POST", "/api/login", { json: { username, password } });
  if (!answer.ok) {
    showServerProblem(form, answer);
    if (answer.status === 401) {
      const field = fields(form).password;
      field.value = "";
      field.focus();
    }
    return;
  }
  const { token, expires_in: expiresIn } = answer.data ?? {};
  if (typeof token !== "string" || typeof expiresIn !== "number") {
    say(formMessage(form), "The server's answer could not be read. Please try again.", "error");
    return;
  }
  form.reset();
  say(formMessage(view.registerForm), "");
  await startSession(session.save(token, expiresIn), { focus: true });
}

// ── The signed-in view ────────────────────────────────────────────────────────

/** Bumped whenever a session starts or ends, so that late answers for an old one are dropped. */
let generation = 0;
/** @type {number | undefined} */
let expiryTimer;

/**
 * @param {import("./session.js").Session} current
 * @param {{ focus: boolean }} options  focus the view's heading (after a log-in, not on a reload)
 */
async function startSession(current, { focus }) {
  generation++;
  say(view.notice, "");
  view.signedOut.hidden = true;
  view.signedIn.hidden = false;
  scheduleExpiry(current);
  if (focus) view.heading.focus();
  await loadAccount();
}

/**
 * Back to the log-in form: the token is forgotten and `message` says why.
 * @param {string} message
 * @param {"info" | "success" | "error"} tone
 */
function endSession(message, tone) {
  generation++;
  clearTimeout(expiryTimer);
  session.clear();
  clearAccount();
  view.signedIn.hidden = true;
  view.signedOut.hidden = false;
  say(view.notice, message, tone);
  fields(view.loginForm).username.focus();
}

/** @param {import("./session.js").Session} current */
function scheduleExpiry(current) {
  clearTimeout(expiryTimer);
  const wait = Math.min(Math.max(current.expiresAt - Date.now(), 0), MAX_TIMER_DELAY);
  expiryTimer = setTimeout(() => {
    if (session.hasExpired(current)) endSession(EXPIRED, "info");
    else scheduleExpiry(current);
  }, wait);
}

/** Fetches the profile and the protected data with the stored token and shows them. */
async function loadAccount() {
  const current = session.load();
  if (current === null) return endSession("Please log in.", "info");
  if (view.signedIn.getAttribute("aria-busy") === "true") return;
  const mine = generation;
  view.signedIn.setAttribute("aria-busy", "true");
  const [profile, data] = await Promise.all([
    callApi("GET", "/api/profile", { token: current.token }),
    callApi("GET", "/api/protected_data", { token: current.token }),
  ]);
  if (mine !== generation) return; // logged out (or in again) meanwhile
  view.signedIn.removeAttribute("aria-busy");

  // 401: the token is expired, invalid, or its account is gone. Nothing to do but log in again.
  const refused = [profile, data].find((answer) => answer.status === 401);
  if (refused !== undefined) {
    endSession(`Your session has ended (the server said: “${refused.error}”). Please log in again.`, "error");
    return;
  }
  const failed = [profile, data].find((answer) => !answer.ok);
  say(view.accountMessage, failed?.error ?? "", "error");
  if (profile.ok) showProfile(profile.data);
  if (data.ok) showProtectedData(data.data);
}

/** @param {{ username: string, role: string, created_at: string }} profile */
function showProfile(profile) {
  view.heading.textContent = `Signed in as ${profile.username}`;
  view.profileUsername.textContent = profile.username;
  view.profileRole.textContent = profile.role;
  view.profileCreated.dateTime = profile.created_at;
  const created = new Date(profile.created_at);
  view.profileCreated.textContent = Number.isNaN(created.getTime()) ? profile.created_at : dateFormat.format(created);
}

/** @param {{ message: string, items?: { title: string, confidential?: boolean }[] }} data */
function showProtectedData(data) {
  view.protectedMessage.textContent = data.message;
  const items = Array.isArray(data.items) ? data.items : [];
  view.protectedItems.replaceChildren(...items.map(protectedItem));
}

/** @param {{ title: string, confidential?: boolean }} item */
function protectedItem({ title, confidential }) {
  const li = document.createElement("li");
  li.textContent = title;
  if (confidential) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "confidential";
    li.append(" ", badge);
  }
  return li;
}

/** Nothing of the last account stays on the page after it is left. */
function clearAccount() {
  view.signedIn.removeAttribute("aria-busy");
  view.heading.textContent = "Signed in";
  say(view.accountMessage, "");
  for (const field of [view.profileUsername, view.profileRole, view.profileCreated, view.protectedMessage]) {
    field.textContent = "…";
  }
  view.profileCreated.removeAttribute("datetime");
  view.protectedItems.replaceChildren();
}

// ── The public API panel ──────────────────────────────────────────────────────

/**
 * Sends one request from the panel and shows the status and the body as the server sent it.
 * @param {HTMLButtonElement} button
 * @param {string} label  e.g. "GET /api/data"
 * @param {() => Promise<import("./api.js").Answer>} request
 */
function tryApi(button, label, request) {
  const region = /** @type {HTMLElement} */ (button.closest(".card"));
  return whileBusy(region, button, "Sending…", async () => {
    say(view.apiStatus, `${label}: sending…`);
    const answer = await request();
    say(view.apiStatus, answer.status === 0 ? `${label}: ${answer.error}` : `${label} answered ${answer.status}`);
    view.apiOutput.textContent = answer.data === null ? answer.text : JSON.stringify(answer.data, null, 2);
  });
}

// ── Wiring ────────────────────────────────────────────────────────────────────

/**
 * @param {HTMLFormElement} form
 * @param {string} busyLabel
 * @param {() => Promise<void>} action
 */
function onSubmit(form, busyLabel, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(form, submitButton(form), busyLabel, action);
  });
}

onSubmit(view.loginForm, "Logging in…", logIn);
onSubmit(view.registerForm, "Creating account…", register);
revalidateWhileTyping(view.loginForm, loginProblems);
revalidateWhileTyping(view.registerForm, registrationProblems);
view.logout.addEventListener("click", () => endSession("You have logged out.", "success"));
view.reload.addEventListener("click", loadAccount);

view.apiGet.addEventListener("click", () => tryApi(view.apiGet, "GET /api/data", () => callApi("GET", "/api/data")));
view.apiPostForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const send = () => callApi("POST", "/api/data", { text: view.apiBody.value });
  tryApi(submitButton(view.apiPostForm), "POST /api/data", send);
});

// A reload keeps the session of this tab (the token is in sessionStorage).
const stored = session.load();
if (stored !== null) {
  if (session.hasExpired(stored)) endSession(EXPIRED, "info");
  else startSession(stored, { focus: false });
}
