/**
 * fetch for the JSON API. Every outcome, a network failure included, becomes one plain object,
 * so callers branch on it instead of catching; an error carries the server's own message.
 */

const UNREACHABLE = "The server could not be reached. Check your connection and try again.";

/**
 * @typedef {object} Answer
 * @property {boolean} ok       2xx
 * @property {number} status   0 when no answer arrived
 * @property {any} data        the parsed JSON body, or null
 * @property {string} text     the body as received
 * @property {string | null} error  what went wrong, for a person to read; null when ok
 */

/**
 * @param {string} method
 * @param {string} path
 * @param {{ json?: unknown, text?: string, token?: string }} [options]
 *   `json` is sent encoded, `text` as it is (both as application/json); `token` as a Bearer token.
 * @returns {Promise<Answer>}
 */
export async function callApi(method, path, { json, text, token } = {}) {
  const headers = new Headers({ accept: "application/json" });
  const body = json !== undefined ? JSON.stringify(json) : text;
  if (body !== undefined) headers.set("content-type", "application/json");
  if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
  try {
    // no-store: answers that depend on who is asking must never come from a cache.
    const response = await fetch(path, { method, headers, body, cache: "no-store" });
    const raw = await response.text();
    const data = parseJson(raw);
    const error = response.ok ? null : errorMessage(response, data);
    return { ok: response.ok, status: response.status, data, text: raw, error };
  } catch {
    return { ok: false, status: 0, data: null, text: "", error: UNREACHABLE };
  }
}

/** @param {string} raw */
function parseJson(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/**
 * The server's `{"error": "..."}` message; server errors (5xx) add their request id, which
 * is what the server's log can be searched for.
 * @param {Response} response
 * @param {any} data
 */
function errorMessage(response, data) {
  const message = typeof data?.error === "string" ? data.error : `The server answered ${response.status}`;
  const id = typeof data?.request_id === "string" ? data.request_id : null;
  return id === null ? message : `${message} (request id ${id})`;
}
