/**
 * `deno task routes`: the route table from routes.json, with each route's handler and
 * whether it is protected (and by which roles), plus the static mount.
 */
import { accessOf } from "../app/access.ts";
import { parseRoutesFile, RoutesFileError } from "../app/routes_file.ts";
import { PROJECT_ROOT } from "../config.ts";
import { HANDLERS } from "../handlers/registry.ts";
import { join } from "node:path";

export function routeTable(text: string): string {
  const file = parseRoutesFile(text, new Set(Object.keys(HANDLERS)));
  const rows = [["METHOD", "PATH", "HANDLER", "ACCESS"]];
  for (const entry of file.routes) {
    const access = accessOf(HANDLERS[entry.handler]);
    const rule = access === null
      ? "public"
      : access.roles.length === 0
      ? "protected"
      : `protected (${access.roles.join(", ")})`;
    rows.push([entry.method, entry.path, entry.handler, rule]);
  }
  const mount = file.static;
  rows.push([
    "GET",
    mount.mount === "/" ? "/*" : `${mount.mount}/*`,
    `static files from ${mount.root}/${mount.spaFallback ? " (SPA fallback)" : ""}`,
    "public",
  ]);
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n");
}

if (import.meta.main) {
  try {
    console.log(routeTable(Deno.readTextFileSync(join(PROJECT_ROOT, "routes.json"))));
  } catch (error) {
    if (!(error instanceof RoutesFileError)) throw error;
    console.error(`h1server: ${error.message}`);
    Deno.exit(1);
  }
}
