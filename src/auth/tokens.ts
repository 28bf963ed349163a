/**
 * Access tokens: JWTs signed with HMAC (HS256 by default, ALGORITHM picks HS384/HS512).
 * Claims: sub (user id), username, role, iat, exp, jti, iss, aud; header typ "JWT".
 * Verification pins the algorithm, requires exp/iat/sub/jti, checks issuer, audience and a
 * future nbf, and rejects "none", other algorithms and bad signatures (all through jose).
 */
import { errors, jwtVerify, SignJWT } from "jose";
import type { AuthConfig } from "../config.ts";
import type { Role } from "../db/users.ts";

export interface TokenClaims {
  readonly sub: string;
  readonly username: string;
  readonly role: Role;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
}

export interface IssuedToken {
  readonly token: string;
  /** Seconds until it expires. */
  readonly expiresIn: number;
}

/** Why a token was refused; never shown to clients beyond "invalid or expired token". */
export class TokenError extends Error {
  override name = "TokenError";
}

/** Verified tokens kept to skip the HMAC for a client that sends the same token again. */
const CACHE_LIMIT = 10_000;

export class TokenService {
  readonly #config: AuthConfig;
  readonly #verified = new Map<string, TokenClaims>();

  constructor(config: AuthConfig) {
    this.#config = config;
  }

  async issue(user: { id: string; username: string; role: Role }): Promise<IssuedToken> {
    const expiresIn = this.#config.accessTokenMinutes * 60;
    const token = await new SignJWT({ username: user.username, role: user.role })
      .setProtectedHeader({ alg: this.#config.algorithm, typ: "JWT" })
      .setSubject(user.id)
      .setIssuer(this.#config.issuer)
      .setAudience(this.#config.audience)
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .setJti(crypto.randomUUID())
      .sign(this.#config.jwtSecret);
    return { token, expiresIn };
  }

  /** The claims of a valid token; throws TokenError otherwise. */
  async verify(token: string): Promise<TokenClaims> {
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (cached.exp * 1000 > Date.now()) return cached;
      this.#verified.delete(token);
      throw new TokenError("token expired");
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#config.jwtSecret, {
        algorithms: [this.#config.algorithm],
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        requiredClaims: ["exp", "iat", "sub", "jti"],
        typ: "JWT",
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new TokenError(error.code);
      throw error;
    }
    const { sub, username, role, jti, iat, exp } = payload;
    if (
      typeof sub !== "string" || typeof username !== "string" || (role !== "user" && role !== "admin") ||
      typeof jti !== "string" || typeof iat !== "number" || typeof exp !== "number"
    ) {
      throw new TokenError("malformed claims");
    }
    const claims: TokenClaims = Object.freeze({ sub, username, role, jti, iat, exp });
    if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
    this.#verified.set(token, claims);
    return claims;
  }
}
