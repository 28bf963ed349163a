/**
 * The server's rules for usernames and passwords (POST /api/register and /api/login), checked
 * in the page so a person sees a problem next to the field before anything is sent. The
 * messages are the server's own words: whichever side finds a problem, the person reads the
 * same sentence.
 */

export const USERNAME_RULE = "username must be 3 to 32 characters: letters, digits, '_', '.' or '-'";
export const MIN_PASSWORD_BYTES = 8;
/** bcrypt reads only 72 bytes, so the server refuses longer passwords rather than truncate them. */
export const MAX_PASSWORD_BYTES = 72;

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
const encoder = new TextEncoder();

/**
 * @typedef {{ username?: string, password?: string }} Problems
 *   The message for each field that the server would refuse; no key for a field that is fine.
 */

/**
 * What the server would say about a registration, field by field.
 * @param {string} username
 * @param {string} password
 * @returns {Problems}
 */
export function registrationProblems(username, password) {
  /** @type {Problems} */
  const problems = {};
  if (username === "") problems.username = "username is required";
  else if (!USERNAME.test(username)) problems.username = USERNAME_RULE;

  // The limits are in bytes of UTF-8, as the server counts them, not in characters.
  const bytes = encoder.encode(password).length;
  if (password === "") problems.password = "password is required";
  else if (bytes < MIN_PASSWORD_BYTES) problems.password = `password must be at least ${MIN_PASSWORD_BYTES} bytes`;
  else if (bytes > MAX_PASSWORD_BYTES) {
    problems.password = `password must be at most ${MAX_PASSWORD_BYTES} bytes of UTF-8`;
  }
  return problems;
}

/**
 * What the server would say about a log-in before checking the credentials: only that both
 * are given (any other mistake is "Invalid credentials", which only the server can know).
 * @param {string} username
 * @param {string} password
 * @returns {Problems}
 */
export function loginProblems(username, password) {
  /** @type {Problems} */
  const problems = {};
  if (username === "") problems.username = "username is required";
  if (password === "") problems.password = "password is required";
  return problems;
}
