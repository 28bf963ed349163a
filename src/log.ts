/**
 * A small structured logger: human-readable lines in development, JSON lines when
 * LOG_FORMAT=json. Fields are plain values; callers never pass secrets.
 *
 * Lines go to stderr through a buffer written every 50 ms or 64 KiB (see BufferedStderr), so an
 * access log line per request costs no system call per request. Errors go out at once.
 */
import { ByteSink } from "./http/byte_sink.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether `level` would be written (lets callers skip building fields). */
  enabled(level: LogLevel): boolean;
  /** One access-log line (info level), formatted by a fixed template: it is written per request. */
  access(entry: AccessEntry): void;
  /** Writes out everything buffered, synchronously (before exit). */
  flush(): void;
}

export interface AccessEntry {
  /** A method token. */
  readonly method: string;
  /** The raw request path (may need quoting). */
  readonly path: string;
  readonly status: number;
  /** Body bytes, or "-" when not known in advance (streams). */
  readonly bytes: number | "-";
  readonly ms: number;
  /** A sane request id (letters, digits, -_.:@/+=). */
  readonly id: string;
  /** "ip:port" or "[ip]:port". */
  readonly remote: string;
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
      write(JSON.stringify({ time: timestamp(), level, msg: message, ...fields }), level);
      return;
    }
    let line = `${timestamp()} ${LEVEL_LABELS[level]} ${message}`;
    if (fields) {
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
      }
    }
    write(line, level);
  };

  // Every field but the path is safe by construction; the path is quoted when it needs to be.
  // Written to the default sink part by part, without building the line as a string first.
  if (sink !== null) {
    const access = format === "json"
      ? (e: AccessEntry) => sink.line(writeAccessJson, e)
      : (e: AccessEntry) => sink.line(writeAccessText, e);
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      enabled: (level) => RANK[level] >= min,
      access: (entry) => {
        if (RANK.info >= min) access(entry);
      },
      flush: () => sink.flush(),
    };
  }
  const access = format === "json"
    ? (e: AccessEntry) =>
      write(
        `{"time":"${timestamp()}","level":"info","msg":"request","method":"${e.method}",` +
          `"path":${JSON.stringify(e.path)},"status":${e.status},"bytes":${e.bytes === "-" ? '"-"' : e.bytes},` +
          `"ms":${e.ms},"id":"${e.id}","remote":"${e.remote}"}`,
        "info",
      )
    : (e: AccessEntry) =>
      write(
        `${timestamp()} INFO  request method=${e.method} path=${formatPath(e.path)} status=${e.status} ` +
          `bytes=${e.bytes} ms=${e.ms} id=${e.id} remote=${e.remote}`,
        "info",
      );

  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    enabled: (level) => RANK[level] >= min,
    access: (entry) => {
      if (RANK.info >= min) access(entry);
    },
    flush: () => {},
  };
}

const ascii = (s: string) => new TextEncoder().encode(s);
const TEXT_HEAD = ascii(" INFO  request method=");
const TEXT_PATH = ascii(" path=");
const TEXT_STATUS = ascii(" status=");
const TEXT_BYTES = ascii(" bytes=");
const TEXT_MS = ascii(" ms=");
const TEXT_ID = ascii(" id=");
const TEXT_REMOTE = ascii(" remote=");
const JSON_TIME = ascii('{"time":"');
const JSON_HEAD = ascii('","level":"info","msg":"request","method":"');
const JSON_PATH = ascii('","path":');
const JSON_STATUS = ascii(',"status":');
const JSON_BYTES = ascii(',"bytes":');
const JSON_MS = ascii(',"ms":');
const JSON_ID = ascii(',"id":"');
const JSON_REMOTE = ascii('","remote":"');
const JSON_END = ascii('"}');

/**
 * The access line's parts, all ASCII: the method is a token, the raw path is visible ASCII
 * (the parser admits nothing else) and is quoted when needed, the id and address are sane.
 */
function writeAccessText(out: ByteSink, e: AccessEntry): void {
  out.latin1(timestamp());
  out.bytes(TEXT_HEAD);
  out.latin1(e.method);
  out.bytes(TEXT_PATH);
  out.latin1(formatPath(e.path));
  out.bytes(TEXT_STATUS);
  out.decimal(e.status);
  out.bytes(TEXT_BYTES);
  if (e.bytes === "-") out.latin1("-");
  else out.decimal(e.bytes);
  out.bytes(TEXT_MS);
  out.decimal(e.ms);
  out.bytes(TEXT_ID);
  out.latin1(e.id);
  out.bytes(TEXT_REMOTE);
  out.latin1(e.remote);
}

function writeAccessJson(out: ByteSink, e: AccessEntry): void {
  out.bytes(JSON_TIME);
  out.latin1(timestamp());
  out.bytes(JSON_HEAD);
  out.latin1(e.method);
  out.bytes(JSON_PATH);
  out.latin1(jsonPath(e.path));
  out.bytes(JSON_STATUS);
  out.decimal(e.status);
  out.bytes(JSON_BYTES);
  if (e.bytes === "-") out.latin1('"-"');
  else out.decimal(e.bytes);
  out.bytes(JSON_MS);
  out.decimal(e.ms);
  out.bytes(JSON_ID);
  out.latin1(e.id);
  out.bytes(JSON_REMOTE);
  out.latin1(e.remote);
  out.bytes(JSON_END);
}

let lastJsonPath = "";
let lastJsonPathText = '""';

function jsonPath(path: string): string {
  if (path !== lastJsonPath) {
    lastJsonPath = path;
    lastJsonPathText = JSON.stringify(path);
  }
  return lastJsonPathText;
}

const LEVEL_LABELS: Record<LogLevel, string> = { debug: "DEBUG", info: "INFO ", warn: "WARN ", error: "ERROR" };

let lastMs = 0;
let lastIso = "";

/** ISO-8601 time, formatted once per millisecond however many lines share it. */
function timestamp(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

let lastPath = "";
let lastPathText = "";

/** formatValue for paths, remembering the last one: a kept-alive client asks for the same path again and again. */
function formatPath(path: string): string {
  if (path !== lastPath) {
    lastPath = path;
    lastPathText = formatValue(path);
  }
  return lastPathText;
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== "string") return String(value);
  return /^[\w./:@+-]*$/.test(value) && value !== "" ? value : JSON.stringify(value);
}

/** A logger that drops everything (tests that do not inspect logs). */
export const silentLogger: Logger = {
  access() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  enabled: () => false,
  flush() {},
};

/** Buffered lines are written at the latest after this long... */
const FLUSH_DELAY_MS = 50;
/** ...or as soon as this much is buffered. */
const FLUSH_BYTES = 64 * 1024;
const NEWLINE = new Uint8Array([0x0a]);

/**
 * Write-behind stderr. Lines are encoded at once into a byte buffer (so the line strings die
 * young and cost the garbage collector nothing) and written together, with one synchronous
 * write, every FLUSH_DELAY_MS or FLUSH_BYTES: a system call per batch, not per request. The
 * writes are synchronous so that nothing is ever in flight: lines stay in order, and flush()
 * before exit writes every line (an asynchronous write still under way when the process exits
 * is lost). Errors are written out at once.
 */
class BufferedStderr {
  readonly #sink = new ByteSink(FLUSH_BYTES);
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  write(line: string, urgent: boolean): void {
    // encodeInto beats a copy loop here: the line is a fresh rope, slow to read char by char.
    this.#sink.utf8(line);
    this.#ended(urgent);
  }

  /** A line written straight into the buffer by `fill` (the access log: no string for the whole line). */
  line<T>(fill: (out: ByteSink, value: T) => void, value: T): void {
    fill(this.#sink, value);
    this.#ended(false);
  }

  #ended(urgent: boolean): void {
    const sink = this.#sink;
    sink.bytes(NEWLINE);
    if (urgent || sink.length >= FLUSH_BYTES) {
      this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
      // Buffered log lines must not keep the process alive.
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Writes everything buffered (also before exit). */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#sink.length === 0) return;
    writeAllSync(this.#sink.view());
    this.#sink.reset();
    this.#sink.shrinkTo(FLUSH_BYTES);
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
