/**
 * POST /api/register and POST /api/login.
 *
 * Register: 201 {message, username}; 400 with a precise message for a missing or invalid field;
 * 409 when the username is taken in any capitalisation (also when requests race for it: the
 * database's unique index decides).
 *
 * Login: 200 {message, token, token_type, expires_in}; 401 {"error":"Invalid credentials"} —
 * the same body, and about the same time, whether the user exists or not (an unknown user is
 * compared against a dummy hash); 429 with Retry-After while a username or client address is
 * locked after repeated failures.
 */
import type { Context } from "../app/context.ts";
import { HttpError } from "../app/http_error.ts";
import { NO_STORE } from "../app/responses.ts";
import { MAX_PASSWORD_BYTES } from "../auth/passwords.ts";
import { addressKey, userKey } from "../db/login_throttle.ts";
import { UsernameTakenError } from "../db/users.ts";
import type { HttpResponse } from "../http/message.ts";

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
const MIN_PASSWORD_BYTES = 8;
const encoder = new TextEncoder();

interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The JSON body's username and password, or 400 naming the field and what is wrong with it. */
async function readCredentials(ctx: Context, strict: boolean): Promise<Credentials> {
  const body = await ctx.req.json();
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "Request body must be a JSON object with username and password");
  }
  const { username, password } = body as Record<string, unknown>;
  if (typeof username !== "string" || username === "") throw new HttpError(400, "username is required");
  if (typeof password !== "string" || password === "") throw new HttpError(400, "password is required");
  if (strict) {
    if (!USERNAME.test(username)) {
      throw new HttpError(400, "username must be 3 to 32 characters: letters, digits, '_', '.' or '-'");
    }
    const bytes = encoder.encode(password).length;
    if (bytes < MIN_PASSWORD_BYTES) throw new HttpError(400, `password must be at least ${MIN_PASSWORD_BYTES} bytes`);
    // bcrypt would silently ignore the rest: refuse rather than truncate.
    if (bytes > MAX_PASSWORD_BYTES) {
      throw new HttpError(400, `password must be at most ${MAX_PASSWORD_BYTES} bytes of UTF-8`);
    }
  }
  return { username, password };
}

export async function register(ctx: Context): Promise<HttpResponse> {
  const { username, password } = await readCredentials(ctx, true);
  const { users, passwords } = ctx.services;
  ctx.services.ready();
  const hash = await passwords.hash(password);
  try {
    const user = await users.create(username, hash);
    return ctx.json({ message: "User registered successfully", username: user.username }, 201);
  } catch (error) {
    if (error instanceof UsernameTakenError) throw new HttpError(409, "Username already exists");
    throw error;
  }
}

const INVALID = "Invalid credentials";

export async function login(ctx: Context): Promise<HttpResponse> {
  const { username, password } = await readCredentials(ctx, false);
  const { users, passwords, throttle, tokens, dummyHash } = ctx.services;
  ctx.services.ready();
  const keys = [userKey(username), addressKey(clientAddress(ctx.req.raw.remoteAddress))];

  const locked = await throttle.lockedFor(keys);
  if (locked > 0) throw tooManyAttempts(locked);

  const user = await users.findByUsername(username);
  // No stored password is longer than 72 bytes; bcrypt would compare only a longer one's prefix.
  const tooLong = encoder.encode(password).length > MAX_PASSWORD_BYTES;
  // An unknown user (or an impossible password) costs a comparison too, so timing tells nothing.
  const hash = user === null || tooLong ? dummyHash : user.passwordHash;
  const matches = await passwords.verify(password, hash) && hash !== dummyHash;
  if (user === null || !matches) {
    await throttle.recordFailure(keys);
    throw new HttpError(401, INVALID);
  }

  await throttle.reset(keys);
  if (passwords.needsRehash(user.passwordHash)) {
    await users.updatePasswordHash(user.id, await passwords.hash(password));
  }
  const { token, expiresIn } = await tokens.issue(user);
  ctx.headerBlock(NO_STORE);
  return ctx.json({ message: "Login successful", token, token_type: "Bearer", expires_in: expiresIn });
}

function tooManyAttempts(seconds: number): HttpError {
  return new HttpError(429, `Too many failed attempts; try again in ${seconds} s`, {
    headers: [["retry-after", String(seconds)]],
  });
}

/** "ip:port" or "[ip]:port" → ip: the back-off is per client address, whatever its port. */
export function clientAddress(remote: string): string {
  if (remote.startsWith("[")) return remote.slice(1, remote.indexOf("]"));
  const colon = remote.lastIndexOf(":");
  return colon === -1 ? remote : remote.slice(0, colon);
}
