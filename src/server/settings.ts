/** Connection and server settings, with the defaults a public-facing server should have. */
import { DEFAULT_LIMITS, MIN_REQUEST_LINE_BYTES, type ParserLimits } from "../http/limits.ts";

export interface ConnectionSettings {
  readonly limits: ParserLimits;
  /** Idle time allowed between requests on a kept-alive connection (also before the first). */
  readonly keepAliveTimeoutMs: number;
  /** Advertised as `keep-alive: timeout=N` (whole seconds, rounded down). */
  readonly keepAliveTimeoutSeconds: number;
  /** Time allowed to receive a whole head, from its first byte: slow-loris protection. */
  readonly headerTimeoutMs: number;
  /** Longest wait for the next piece of a body the handler is reading. */
  readonly bodyTimeoutMs: number;
  /** Longest time one write may stay blocked on a client that does not read. */
  readonly writeTimeoutMs: number;
  /** How long a closing connection keeps dropping input so the response is not reset away. */
  readonly lingerMs: number;
  /** Unread body left by a handler that is read and dropped to keep the connection. */
  readonly maxDiscardBytes: number;
}

export interface ServerSettings extends ConnectionSettings {
  /** Connections beyond this are answered 503 and closed. */
  readonly maxConnections: number;
  /** Time given to in-flight requests on shutdown before connections are cut. */
  readonly shutdownTimeoutMs: number;
}

export const DEFAULT_SETTINGS: ServerSettings = Object.freeze({
  limits: DEFAULT_LIMITS,
  keepAliveTimeoutMs: 5_000,
  keepAliveTimeoutSeconds: 5,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  writeTimeoutMs: 30_000,
  lingerMs: 2_000,
  maxDiscardBytes: 64 * 1024,
  maxConnections: 10_000,
  shutdownTimeoutMs: 10_000,
});

export type SettingsOverrides = Partial<Omit<ServerSettings, "limits" | "keepAliveTimeoutSeconds">> & {
  limits?: Partial<ParserLimits>;
};

export class SettingsError extends Error {
  override name = "SettingsError";
}

/** Defaults with `overrides` applied; inconsistent limits are refused here, before any connection. */
export function resolveSettings(overrides: SettingsOverrides = {}): ServerSettings {
  const { limits, ...rest } = overrides;
  const merged = { ...DEFAULT_SETTINGS, ...rest, limits: Object.freeze({ ...DEFAULT_LIMITS, ...limits }) };
  const { maxRequestLineBytes, maxHeadBytes } = merged.limits;
  if (maxRequestLineBytes < MIN_REQUEST_LINE_BYTES) {
    throw new SettingsError(`maxRequestLineBytes must be at least ${MIN_REQUEST_LINE_BYTES}`);
  }
  if (maxHeadBytes < maxRequestLineBytes) {
    throw new SettingsError(
      `maxHeadBytes (${maxHeadBytes}) must be at least maxRequestLineBytes (${maxRequestLineBytes})`,
    );
  }
  return Object.freeze({ ...merged, keepAliveTimeoutSeconds: Math.floor(merged.keepAliveTimeoutMs / 1000) });
}
