/**
 * `.env` support: the file's variables, overridden by the real environment.
 * Built on `node:util` `parseEnv`, which parses without touching the environment.
 */
import { parseEnv } from "node:util";

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * The variables of `path` (if the file exists) merged under `environment`:
 * a variable set in the real environment always wins over the file.
 */
export function loadEnv(path = ".env", environment: EnvSource = Deno.env.toObject()): EnvSource {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ...environment };
    throw error;
  }
  return { ...parseEnv(text), ...environment };
}
