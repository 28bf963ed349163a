/**
 * Where the access token lives: this tab's sessionStorage.
 *
 * sessionStorage survives a reload of the tab but not its closing, is not shared with other
 * tabs, and is never sent to the server by the browser on its own (unlike a cookie), so a
 * forged cross-site request carries no credentials. The page sends the token only in the
 * Authorization field of its own API calls, and never puts it in a URL.
 */

const KEY = "h1server.session";

/** @typedef {{ token: string, expiresAt: number }} Session  expiresAt in ms since the epoch */

/**
 * Keeps a token the server issued `expiresInSeconds` from now.
 * @param {string} token
 * @param {number} expiresInSeconds
 * @returns {Session}
 */
export function save(token, expiresInSeconds) {
  const session = { token, expiresAt: Date.now() + expiresInSeconds * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/**
 * The stored session, or null when there is none (or it cannot be read: it is then removed).
 * @returns {Session | null}
 */
export function load() {
  const stored = sessionStorage.getItem(KEY);
  if (stored === null) return null;
  try {
    const { token, expiresAt } = JSON.parse(stored);
    if (typeof token === "string" && token !== "" && Number.isFinite(expiresAt)) return { token, expiresAt };
  } catch {
    // Not JSON: treated like no session at all.
  }
  clear();
  return null;
}

export function clear() {
  sessionStorage.removeItem(KEY);
}

/**
 * @param {Session} session
 * @returns {boolean}
 */
export function hasExpired(session) {
  return Date.now() >= session.expiresAt;
}
