/**
 * h1server entry point: configuration, start-up line, graceful shutdown on SIGINT/SIGTERM.
 * `--dev` (deno task dev) allows running without JWT_SECRET_KEY (a random one is generated).
 * Everything else lives in src/.
 */
import { RoutesFileError } from "./src/app/routes_file.ts";
import { ConfigError, loadConfig } from "./src/config.ts";
import { loadEnv } from "./src/env.ts";
import { createLogger } from "./src/log.ts";
import { start } from "./src/start.ts";

function fail(message: string): never {
  console.error(`h1server: ${message}`);
  Deno.exit(1);
}

const mode = Deno.args.includes("--dev") ? "development" : "production";
let config;
try {
  config = loadConfig(loadEnv(), mode);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger({ format: config.logFormat, level: config.logLevel });
for (const warning of config.warnings) logger.warn(warning);

let running;
try {
  running = await start(config, logger);
} catch (error) {
  if (error instanceof RoutesFileError) fail(error.message);
  if (error instanceof Deno.errors.AddrInUse) fail(`${config.host}:${config.port} is already in use`);
  if (error instanceof Deno.errors.NotFound) fail(`file not found: ${(error as Error).message}`);
  throw error;
}
logger.info(running.summary);

let stopping = false;
const stop = async (signal: Deno.Signal) => {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal, connections: running.server.connectionCount });
  await running.close();
  logger.info("stopped");
  logger.flush();
  Deno.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => stop(signal));
