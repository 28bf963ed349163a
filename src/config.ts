/**
 * Start-up configuration: `.env` plus the environment, validated into one frozen object.
 * A bad value stops start-up with one line naming the variable and what is wrong.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { DEFAULT_LIMITS, MIN_REQUEST_LINE_BYTES } from "./http/limits.ts";
import type { LogLevel } from "./log.ts";
import { DEFAULT_SETTINGS, type SettingsOverrides } from "./server/settings.ts";
import type { EnvSource } from "./env.ts";
import { CorsConfigError, parseOrigins } from "./app/middleware/cors.ts";

/** The project root: where routes.json, webroot/ and migrations/ live (also inside a compiled binary). */
export const PROJECT_ROOT: string = dirname(import.meta.dirname!);

export interface Config {
  readonly host: string;
  readonly port: number;
  /** WEB_ROOT_DIR when set; otherwise routes.json's static root is used. */
  readonly webRootDir: string | null;
  /** Largest request body the JSON/text readers accept (413 beyond). */
  readonly maxJsonBytes: number;
  /** CORS_ORIGINS, normalised: exact origins, or ["*"]; empty = CORS off. */
  readonly corsOrigins: readonly string[];
  /** CORS_CREDENTIALS: send access-control-allow-credentials: true. */
  readonly corsCredentials: boolean;
  /** COMPRESSION_MIN_BYTES: smaller bodies are never compressed. */
  readonly compressionMinBytes: number;
  /** Static file memory cache. */
  readonly static: {
    readonly maxCachedFileBytes: number;
    readonly maxCacheBytes: number;
    readonly revalidateMs: number;
  };
  readonly routesFile: string;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly logFormat: "text" | "json";
  readonly logLevel: LogLevel;
  readonly server: SettingsOverrides;
  readonly auth: AuthConfig;
  readonly database: DatabaseConfig;
  /** Things start-up should warn about (e.g. a generated development secret). */
  readonly warnings: readonly string[];
}

export type JwtAlgorithm = "HS256" | "HS384" | "HS512";

export interface AuthConfig {
  /** The HMAC key for tokens (at least 32 bytes). */
  readonly jwtSecret: Uint8Array;
  readonly algorithm: JwtAlgorithm;
  readonly accessTokenMinutes: number;
  readonly issuer: string;
  readonly audience: string;
  /** bcrypt cost for new hashes; a login with a hash of another cost re-hashes. */
  readonly bcryptCost: number;
  /** Workers hashing and comparing passwords off the event loop; 0 hashes on the main thread (for comparison only). */
  readonly passwordWorkers: number;
  /** Failed logins allowed per username or address before the back-off starts. */
  readonly loginFreeFailures: number;
  /** Longest back-off after repeated failures, in seconds. */
  readonly loginMaxLockSeconds: number;
}

export interface DatabaseConfig {
  /** DATABASE_URL: PostgreSQL when set, else the embedded database under dataDir. */
  readonly url: string | null;
  readonly dataDir: string;
  readonly poolSize: number;
}

/** How the process runs: `development` (deno task dev) allows a generated JWT secret; `production` does not. */
export type RunMode = "development" | "production";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: EnvSource, mode: RunMode = "production"): Config {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };

  const certFile = read("TLS_CERT_FILE");
  const keyFile = read("TLS_KEY_FILE");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE must be set together");
  }

  const keepAliveTimeoutMs = integer(read, "KEEP_ALIVE_TIMEOUT_MS", DEFAULT_SETTINGS.keepAliveTimeoutMs, 1, 3_600_000);
  const maxHeadBytes = integer(read, "MAX_HEAD_BYTES", DEFAULT_LIMITS.maxHeadBytes, 1024, 1024 * 1024);
  const maxRequestLineBytes = integer(
    read,
    "MAX_REQUEST_LINE_BYTES",
    DEFAULT_LIMITS.maxRequestLineBytes,
    MIN_REQUEST_LINE_BYTES,
    1024 * 1024,
  );
  if (maxRequestLineBytes > maxHeadBytes) {
    throw new ConfigError(
      `MAX_REQUEST_LINE_BYTES (${maxRequestLineBytes}) must not exceed MAX_HEAD_BYTES (${maxHeadBytes})`,
    );
  }
  const corsOrigins = originList(read("CORS_ORIGINS"));
  const corsCredentials = oneOf(read, "CORS_CREDENTIALS", ["true", "false"] as const, "false") === "true";
  if (corsCredentials && corsOrigins[0] === "*") {
    throw new ConfigError("CORS_CREDENTIALS=true cannot be used with CORS_ORIGINS=*; list the origins");
  }
  const warnings: string[] = [];
  const auth = loadAuth(read, mode, warnings);
  const database = loadDatabase(read);
  return Object.freeze({
    auth,
    database,
    warnings: Object.freeze(warnings),
    host: read("HOST") ?? "0.0.0.0",
    port: integer(read, "PORT", 8080, 0, 65535),
    webRootDir: optionalPath(read("WEB_ROOT_DIR")),
    maxJsonBytes: integer(read, "MAX_JSON_BYTES", 100 * 1024, 0, 2 ** 40),
    corsOrigins,
    corsCredentials,
    compressionMinBytes: integer(read, "COMPRESSION_MIN_BYTES", 1024, 0, 2 ** 40),
    static: Object.freeze({
      maxCachedFileBytes: integer(read, "STATIC_MAX_CACHED_FILE_BYTES", 256 * 1024, 0, 64 * 1024 * 1024),
      maxCacheBytes: integer(read, "STATIC_MAX_CACHE_BYTES", 32 * 1024 * 1024, 0, 2 ** 40),
      revalidateMs: integer(read, "STATIC_REVALIDATE_MS", 1000, 0, 3_600_000),
    }),
    routesFile: join(PROJECT_ROOT, "routes.json"),
    tls: certFile && keyFile ? Object.freeze({ certFile: resolve(certFile), keyFile: resolve(keyFile) }) : null,
    logFormat: oneOf(read, "LOG_FORMAT", ["text", "json"] as const, "text"),
    logLevel: oneOf(read, "LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info"),
    server: Object.freeze({
      maxConnections: integer(read, "MAX_CONNECTIONS", DEFAULT_SETTINGS.maxConnections, 1, 1_000_000),
      keepAliveTimeoutMs,
      headerTimeoutMs: integer(read, "HEADER_TIMEOUT_MS", DEFAULT_SETTINGS.headerTimeoutMs, 1, 3_600_000),
      bodyTimeoutMs: integer(read, "BODY_TIMEOUT_MS", DEFAULT_SETTINGS.bodyTimeoutMs, 1, 3_600_000),
      writeTimeoutMs: integer(read, "WRITE_TIMEOUT_MS", DEFAULT_SETTINGS.writeTimeoutMs, 1, 3_600_000),
      shutdownTimeoutMs: integer(read, "SHUTDOWN_TIMEOUT_MS", DEFAULT_SETTINGS.shutdownTimeoutMs, 0, 3_600_000),
      limits: Object.freeze({
        maxBodyBytes: integer(read, "MAX_BODY_BYTES", DEFAULT_LIMITS.maxBodyBytes, 0, 2 ** 40),
        maxHeadBytes,
        maxRequestLineBytes,
        maxHeaderCount: integer(read, "MAX_HEADER_COUNT", DEFAULT_LIMITS.maxHeaderCount, 1, 10_000),
      }),
    }),
  });
}

type Read = (name: string) => string | undefined;

/** Shortest JWT_SECRET_KEY accepted: an HMAC key shorter than its hash output is weak. */
const MIN_SECRET_BYTES = 32;

function loadAuth(read: Read, mode: RunMode, warnings: string[]): AuthConfig {
  const secret = read("JWT_SECRET_KEY");
  let jwtSecret: Uint8Array;
  if (secret === undefined) {
    if (mode !== "development") {
      throw new ConfigError(
        `JWT_SECRET_KEY is required (at least ${MIN_SECRET_BYTES} bytes); generate one with: openssl rand -base64 48`,
      );
    }
    jwtSecret = crypto.getRandomValues(new Uint8Array(48));
    warnings.push("JWT_SECRET_KEY is not set: using a random key for this process; tokens die with it");
  } else {
    jwtSecret = new TextEncoder().encode(secret);
    if (jwtSecret.length < MIN_SECRET_BYTES) {
      throw new ConfigError(`JWT_SECRET_KEY must be at least ${MIN_SECRET_BYTES} bytes, got ${jwtSecret.length}`);
    }
  }
  // One worker per core but one: the event loop keeps a core of its own while logins run, so
  // other requests are not queued behind bcrypt (measured by the bench's responsiveness rows).
  const defaultWorkers = Math.max(1, (navigator.hardwareConcurrency || 1) - 1);
  return Object.freeze({
    jwtSecret,
    algorithm: oneOf(read, "ALGORITHM", ["HS256", "HS384", "HS512"] as const, "HS256"),
    accessTokenMinutes: integer(read, "ACCESS_TOKEN_EXPIRE_MINUTES", 30, 1, 7 * 24 * 60),
    issuer: read("JWT_ISSUER") ?? "h1server",
    audience: read("JWT_AUDIENCE") ?? "h1server",
    bcryptCost: integer(read, "BCRYPT_COST", 12, 4, 15),
    passwordWorkers: integer(read, "PASSWORD_WORKERS", defaultWorkers, 0, 64),
    loginFreeFailures: integer(read, "LOGIN_FREE_FAILURES", 5, 1, 1000),
    loginMaxLockSeconds: integer(read, "LOGIN_MAX_LOCK_SECONDS", 15 * 60, 1, 24 * 3600),
  });
}

function loadDatabase(read: Read): DatabaseConfig {
  const url = read("DATABASE_URL") ?? null;
  if (url !== null) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError("DATABASE_URL is not a valid URL (postgres://user@host:port/database)");
    }
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
      throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got ${parsed.protocol}//`);
    }
  }
  return Object.freeze({
    url,
    // ":memory:" keeps the embedded database in memory.
    dataDir: read("DATA_DIR") === ":memory:" ? ":memory:" : optionalPath(read("DATA_DIR")) ?? resolve("data"),
    poolSize: integer(read, "DB_POOL_SIZE", 10, 1, 1000),
  });
}

function integer(read: Read, name: string, fallback: number, min: number, max: number): number {
  const raw = read(name);
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

function oneOf<T extends string>(read: Read, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** CORS_ORIGINS: comma-separated exact origins, or *; empty = CORS off. */
function originList(raw: string | undefined): readonly string[] {
  if (raw === undefined) return Object.freeze([]);
  try {
    return Object.freeze(parseOrigins(raw));
  } catch (error) {
    if (error instanceof CorsConfigError) throw new ConfigError(`CORS_ORIGINS: ${error.message}`);
    throw error;
  }
}

function optionalPath(value: string | undefined): string | null {
  if (value === undefined) return null;
  return isAbsolute(value) ? value : resolve(value);
}
