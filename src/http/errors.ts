import { reasonPhrase } from "./status.ts";

/**
 * The peer sent something the server refuses. Carries the status to answer with and a
 * short, fixed message that is safe to show to the client (it never echoes input).
 *
 * After a ProtocolError the connection's framing is unknown, so the connection is
 * answered and then closed.
 */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  constructor(readonly status: number, message: string) {
    super(message);
  }

  /** "400 Bad Request: invalid Content-Length" */
  describe(): string {
    return `${this.status} ${reasonPhrase(this.status)}: ${this.message}`;
  }
}

/** The parser was used wrongly by its caller (a bug in the server, not bad input). */
export class ParserUsageError extends Error {
  override name = "ParserUsageError";
}
