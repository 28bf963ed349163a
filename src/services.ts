/**
 * What handlers need beyond the request: the data layer and the auth services, built once at
 * start-up and reached through `ctx.services`.
 */
import type { PasswordHasher } from "./auth/passwords.ts";
import type { TokenService } from "./auth/tokens.ts";
import type { AuthConfig } from "./config.ts";
import type { Database } from "./db/database.ts";
import type { LoginThrottle } from "./db/login_throttle.ts";
import type { UserRepository } from "./db/users.ts";

export interface Services {
  readonly db: Database;
  readonly users: UserRepository;
  readonly throttle: LoginThrottle;
  readonly tokens: TokenService;
  readonly passwords: PasswordHasher;
  /** A bcrypt hash of a random password at the configured cost: compared against for unknown users. */
  readonly dummyHash: string;
  readonly auth: AuthConfig;
  /** Resolves once migrations have run; throws DatabaseUnavailableError until then. */
  ready(): void;
}
