/** Medians and number formatting for the benchmark's reports. */

/** The median of the values that are numbers; NaN when there are none. */
export function median(values: (number | null)[]): number {
  const sorted = values.filter((value) => value !== null).sort((x, y) => x - y);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `value` with thousands separators and exactly `digits` decimals; "n/a" for NaN. */
export const fixed = (value: number, digits: number): string =>
  Number.isNaN(value)
    ? "n/a"
    : value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
