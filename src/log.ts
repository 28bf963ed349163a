/**
 * A small structured logger: human-readable lines in development, JSON lines when
 * LOG_FORMAT=json. Fields are plain values; callers never pass secrets.
 *
 * Lines go to stderr through a write-behind buffer: at most one write is in flight and
 * lines logged meanwhile are sent together with the next one, so an access log line per
 * request does not cost a system call per request. Errors are written at once.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether `level` would be written (lets callers skip building fields). */
  enabled(level: LogLevel): boolean;
  /** Writes out everything buffered, synchronously (before exit). */
  flush(): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  format?: "text" | "json";
  level?: LogLevel;
  /** Where lines go (one call per line); buffered stderr by default. */
  write?: (line: string, level: LogLevel) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? "text";
  const min = RANK[options.level ?? "info"];
  const sink = options.write === undefined ? new BufferedStderr() : null;
  const write = options.write ?? ((line: string, level: LogLevel) => sink!.write(line, level === "error"));

  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    if (format === "json") {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }), level);
      return;
    }
    let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
    if (fields) {
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
      }
    }
    write(line, level);
  };

  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    enabled: (level) => RANK[level] >= min,
    flush: () => sink?.flush(),
  };
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== "string") return String(value);
  return /^[\w./:@+-]*$/.test(value) && value !== "" ? value : JSON.stringify(value);
}

/** A logger that drops everything (tests that do not inspect logs). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  enabled: () => false,
  flush() {},
};

const encoder = new TextEncoder();
/** Buffered text beyond this is written synchronously rather than left to grow. */
const MAX_BUFFERED_CHARS = 1024 * 1024;

/** Write-behind stderr: one asynchronous write in flight, lines queued behind it. */
class BufferedStderr {
  #pending = "";
  #writing = false;

  write(line: string, urgent: boolean): void {
    this.#pending += line + "\n";
    if (this.#writing) {
      // Behind the write in flight, to keep lines in order; only an overflow jumps the queue.
      if (this.#pending.length > MAX_BUFFERED_CHARS) this.flush();
      return;
    }
    if (urgent) this.flush();
    else this.#drain();
  }

  flush(): void {
    if (this.#pending === "") return;
    const bytes = encoder.encode(this.#pending);
    this.#pending = "";
    writeAllSync(bytes);
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      // Let the current burst of lines (one event-loop turn) gather first.
      await Promise.resolve();
      while (this.#pending !== "") {
        const bytes = encoder.encode(this.#pending);
        this.#pending = "";
        let offset = 0;
        while (offset < bytes.length) offset += await Deno.stderr.write(bytes.subarray(offset));
      }
    } catch {
      // stderr is gone; nothing sensible is left to do with log lines.
    } finally {
      this.#writing = false;
    }
  }
}

function writeAllSync(bytes: Uint8Array): void {
  try {
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
  } catch {
    // stderr is gone.
  }
}
