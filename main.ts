/**
 * h1server entry point: configuration, start-up line, graceful shutdown on SIGINT/SIGTERM.
 * Everything else lives in src/.
 */
import { ConfigError, loadConfig } from "./src/config.ts";
import { loadEnv } from "./src/env.ts";
import { createLogger } from "./src/log.ts";
import { start } from "./src/start.ts";
import { RoutesFileError } from "./src/app/routes_file.ts";

function fail(message: string): never {
  console.error(`h1server: ${message}`);
  Deno.exit(1);
}

let config;
try {
  config = loadConfig(loadEnv());
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger({ format: config.logFormat, level: config.logLevel });

let running;
try {
  running = start(config, logger);
} catch (error) {
  if (error instanceof RoutesFileError) fail(error.message);
  if (error instanceof Deno.errors.AddrInUse) fail(`${config.host}:${config.port} is already in use`);
  if (error instanceof Deno.errors.NotFound) fail(`file not found: ${(error as Error).message}`);
  throw error;
}
const { server, summary } = running;
logger.info(summary);

let stopping = false;
const stop = async (signal: Deno.Signal) => {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal, connections: server.connectionCount });
  await server.shutdown();
  logger.info("stopped");
  logger.flush();
  Deno.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => stop(signal));
