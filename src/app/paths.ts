/** API paths answer errors as JSON; every other path as a small HTML page. */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}
