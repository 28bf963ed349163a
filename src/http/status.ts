/** Reason phrases for the status codes h1server sends (RFC 9110 §15). */
export const STATUS_REASONS: Readonly<Record<number, string>> = Object.freeze({
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
});

/** The reason phrase for `status`, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return STATUS_REASONS[status] ?? CLASS_REASONS[Math.floor(status / 100)] ?? "Unknown";
}

const CLASS_REASONS: Readonly<Record<number, string>> = {
  1: "Informational",
  2: "Success",
  3: "Redirection",
  4: "Client Error",
  5: "Server Error",
};

/** Statuses whose responses never carry content (RFC 9110 §6.4.1). */
export function statusForbidsBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
