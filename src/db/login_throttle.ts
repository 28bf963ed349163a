/**
 * Failed-login counters in the database, so they hold across instances and restarts. The
 * `freeFailures`-th failure for one key (a username or a client address) locks the key, so the
 * next attempt is refused; each failure after a lock has passed locks it again for twice as
 * long, up to `maxLockSeconds`. A success clears the keys.
 * All time arithmetic happens in SQL, on the database's clock, which every instance shares.
 */
import type { Database } from "./database.ts";

export interface ThrottleOptions {
  /** Failed attempts allowed; the last of them starts the first lock. */
  readonly freeFailures: number;
  /** The first lock; doubles with each further failure. */
  readonly baseLockSeconds: number;
  readonly maxLockSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = Object.freeze({
  freeFailures: 5,
  baseLockSeconds: 1,
  maxLockSeconds: 15 * 60,
});

export function userKey(username: string): string {
  return `user:${username.toLowerCase()}`;
}

export function addressKey(address: string): string {
  return `ip:${address}`;
}

export class LoginThrottle {
  constructor(private readonly db: Database, private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Seconds until the first of `keys` is unlocked, or 0 when none is locked. */
  async lockedFor(keys: readonly string[]): Promise<number> {
    const [row] = await this.db.query<{ seconds: number | null }>(
      "SELECT ceil(extract(epoch FROM max(locked_until) - now()))::integer AS seconds " +
        "FROM login_throttle WHERE key = ANY($1::text[]) AND locked_until > now()",
      [keys],
    );
    return Math.max(0, row?.seconds ?? 0);
  }

  /** Counts a failure for each key; returns the longest lock now in force (seconds, 0 if none). */
  async recordFailure(keys: readonly string[]): Promise<number> {
    let longest = 0;
    for (const key of keys) {
      const [row] = await this.db.query<{ failures: number }>(
        "INSERT INTO login_throttle AS t (key, failures, updated_at) VALUES ($1, 1, now()) " +
          "ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1, updated_at = now() RETURNING failures",
        [key],
      );
      const seconds = this.lockSeconds(Number(row.failures));
      if (seconds === 0) continue;
      await this.db.query(
        "UPDATE login_throttle SET locked_until = now() + make_interval(secs => $2::double precision) WHERE key = $1",
        [key, seconds],
      );
      longest = Math.max(longest, seconds);
    }
    return longest;
  }

  /** The lock after `failures` failures: none before the free ones are used up, then base × 2^n up to the maximum. */
  lockSeconds(failures: number): number {
    const { freeFailures, baseLockSeconds, maxLockSeconds } = this.options;
    if (failures < freeFailures) return 0;
    return Math.min(maxLockSeconds, baseLockSeconds * 2 ** Math.min(30, failures - freeFailures));
  }

  /** Clears the counters of `keys` (after a successful login). */
  async reset(keys: readonly string[]): Promise<void> {
    await this.db.query("DELETE FROM login_throttle WHERE key = ANY($1::text[])", [keys]);
  }
}
