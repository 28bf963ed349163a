/** Size limits applied while parsing requests. Every limit has a status of its own. */
export interface ParserLimits {
  /** Longest request-line (method, target, version) in bytes → 414 (or 400 for a long method). */
  readonly maxRequestLineBytes: number;
  /** Largest head (request-line and header section) in bytes → 431. */
  readonly maxHeadBytes: number;
  /** Most header field lines in one head → 431. */
  readonly maxHeaderCount: number;
  /** Largest request body, declared or chunked → 413. */
  readonly maxBodyBytes: number;
  /** Longest chunk-size line including extensions → 400 (bounds extension abuse). */
  readonly maxChunkLineBytes: number;
  /** Largest trailer section after a chunked body → 431. */
  readonly maxTrailerBytes: number;
}

export const DEFAULT_LIMITS: ParserLimits = Object.freeze({
  maxRequestLineBytes: 8 * 1024,
  maxHeadBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 1024 * 1024,
  maxChunkLineBytes: 1024,
  maxTrailerBytes: 4 * 1024,
});

/** Longest method token accepted; longer ones are refused before the target is read. */
export const MAX_METHOD_LENGTH = 32;

/** Shortest request-line limit accepted: room for the longest method and a short target. */
export const MIN_REQUEST_LINE_BYTES = 2 * MAX_METHOD_LENGTH;
