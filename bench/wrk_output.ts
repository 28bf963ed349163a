/** Reads the numbers the benchmark needs from the text `wrk --latency` prints. */

export interface WrkResult {
  readonly requestsPerSec: number;
  /**
   * The 99% line of the latency distribution, in milliseconds; null when wrk prints 0, which it does
   * when its coordinated-omission correction breaks the histogram (pipelining: wrk takes one latency
   * sample per batch but corrects as if per response).
   */
  readonly p99Ms: number | null;
  /** connect + read + write + timeout from the "Socket errors" line (0 when absent). */
  readonly socketErrors: number;
  /** From "Non-2xx or 3xx responses" (0 when absent). */
  readonly non2xx: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses wrk's output; throws when Requests/sec or the 99% latency line is missing. */
export function parseWrkOutput(text: string): WrkResult {
  const rps = text.match(/^Requests\/sec:\s+([\d.]+)/m);
  const p99 = text.match(/^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$/m);
  if (rps === null || p99 === null) {
    throw new Error(`unexpected wrk output (was --latency given?):\n${text}`);
  }
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = text.match(/Non-2xx or 3xx responses: (\d+)/);
  // Rounded to wrk's resolution, 1 µs, which also drops float noise (237us → 0.237, not 0.23700000000000002).
  const p99Ms = Math.round(Number(p99[1]) * UNIT_MS[p99[2]] * 1000) / 1000;
  return {
    requestsPerSec: Number(rps[1]),
    p99Ms: p99Ms === 0 ? null : p99Ms,
    socketErrors: socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
  };
}
