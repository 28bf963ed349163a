/**
 * The field lines of a request head or trailer section, in the order received.
 *
 * Names are stored lowercased (field names are case-insensitive); values are stored
 * with surrounding whitespace removed and bytes mapped one-to-one to string code units
 * (latin1), so nothing the client sent is lost or reinterpreted.
 */
export class FieldList {
  readonly #names: string[];
  readonly #values: string[];

  constructor(names: string[] = [], values: string[] = []) {
    this.#names = names;
    this.#values = values;
  }

  get size(): number {
    return this.#names.length;
  }

  /** The value of `name`; several lines of one name are joined with ", " (RFC 9110 §5.3). */
  get(name: string): string | null {
    const key = name.toLowerCase();
    const names = this.#names;
    let found: string | null = null;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === key) found = found === null ? this.#values[i] : `${found}, ${this.#values[i]}`;
    }
    return found;
  }

  has(name: string): boolean {
    return this.#names.includes(name.toLowerCase());
  }

  /** Number of field lines named `name`. */
  count(name: string): number {
    const key = name.toLowerCase();
    let n = 0;
    for (const candidate of this.#names) if (candidate === key) n++;
    return n;
  }

  /** Every value of `name`, one per field line. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#names.length; i++) if (this.#names[i] === key) out.push(this.#values[i]);
    return out;
  }

  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i], this.#values[i]];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/**
 * Splits a comma-separated field value into trimmed, lowercased elements
 * (RFC 9110 §5.6.1). Empty elements are kept as "" so that callers can decide
 * whether to tolerate them.
 */
export function splitList(value: string): string[] {
  const parts = value.split(",");
  for (let i = 0; i < parts.length; i++) parts[i] = parts[i].replace(OWS_EDGES, "").toLowerCase();
  return parts;
}

const OWS_EDGES = /^[ \t]+|[ \t]+$/g;
