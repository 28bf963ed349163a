/**
 * Cache-Control rules from routes.json: the first rule whose `match` fits the path wins.
 *
 *   "*"          every file
 *   "*.ext"      by extension (case-insensitive), e.g. "*.html", "*.tar.gz"
 *   "/prefix/*"  every path that starts with "/prefix/" (any text before the "*")
 *   "/exact"     that path only
 *
 * Paths are decoded and relative to the mount. A directory request (`/docs/`) is matched as
 * itself and as the file that answers it (`/docs/index.html`), so "*.html" covers index pages.
 */
import type { CacheRule } from "../routes_file.ts";

type Matcher = (path: string) => boolean;

export class CacheRules {
  readonly #rules: readonly { readonly test: Matcher; readonly value: string }[];

  constructor(rules: readonly CacheRule[]) {
    this.#rules = rules.map((rule) => ({ test: matcher(rule.match), value: rule.value }));
  }

  /** The value for a file reached through `paths` (request path first), or null when no rule matches. */
  valueFor(...paths: string[]): string | null {
    for (const rule of this.#rules) {
      for (const path of paths) if (rule.test(path)) return rule.value;
    }
    return null;
  }
}

function matcher(match: string): Matcher {
  if (match === "*") return () => true;
  if (match.startsWith("*.")) {
    const suffix = match.slice(1).toLowerCase();
    return (path) => path.length > suffix.length && path.toLowerCase().endsWith(suffix);
  }
  if (match.endsWith("*")) {
    const prefix = match.slice(0, -1);
    return (path) => path.startsWith(prefix);
  }
  return (path) => path === match;
}
