/** The request object handed to the application: the parsed head plus body and peer. */
import type { FieldList } from "../http/fields.ts";
import type { HttpRequest, RequestBody } from "../http/message.ts";
import type { BodyFraming, RequestHead } from "../http/request_head.ts";

export class IncomingRequest implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly query: string;
  readonly authority: string;
  readonly minorVersion: 0 | 1;
  readonly headers: FieldList;
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
  readonly framing: BodyFraming;
  readonly contentLength: number;

  constructor(
    head: RequestHead,
    readonly body: RequestBody,
    readonly remoteAddress: string,
    readonly secure: boolean,
  ) {
    this.method = head.method;
    this.target = head.target;
    this.path = head.path;
    this.query = head.query;
    this.authority = head.authority;
    this.minorVersion = head.minorVersion;
    this.headers = head.headers;
    this.keepAlive = head.keepAlive;
    this.expectContinue = head.expectContinue;
    this.framing = head.framing;
    this.contentLength = head.contentLength;
  }
}
