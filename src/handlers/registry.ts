/**
 * Every handler routes.json may name. A static table of imported modules: no import by
 * computed string, so `deno compile` sees and embeds every handler.
 */
import type { Handler } from "../app/app.ts";
import * as auth from "./auth.ts";
import * as data from "./data.ts";
import * as health from "./health.ts";
import * as profile from "./profile.ts";

export const HANDLERS: Readonly<Record<string, Handler>> = Object.freeze({
  "health.show": health.show,
  "data.list": data.list,
  "data.create": data.create,
  "auth.register": auth.register,
  "auth.login": auth.login,
  "profile.show": profile.show,
  "profile.protectedData": profile.protectedData,
  "admin.stats": profile.adminStats,
});
