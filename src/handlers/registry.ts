/**
 * Every handler routes.json may name. A static table of imported modules: no import by
 * computed string, so `deno compile` sees and embeds every handler.
 */
import type { Handler } from "../app/app.ts";
import * as data from "./data.ts";
import * as health from "./health.ts";

export const HANDLERS: Readonly<Record<string, Handler>> = Object.freeze({
  "health.show": health.show,
  "data.list": data.list,
  "data.create": data.create,
});
