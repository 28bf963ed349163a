import assert from "node:assert/strict";
import { fixed, median } from "./stats.ts";

Deno.test("median of an odd and an even count, ignoring nulls", () => {
  assert.equal(median([3, null, 1, 2]), 2);
  assert.equal(median([4, 1, null, 3, 2]), 2.5);
});

Deno.test("median is NaN without numbers, and keeps Infinity", () => {
  assert.ok(Number.isNaN(median([])));
  assert.ok(Number.isNaN(median([null, null])));
  assert.equal(median([1, Infinity, Infinity]), Infinity);
});

Deno.test("fixed: separators, digits, n/a", () => {
  assert.equal(fixed(12345.678, 0), "12,346");
  assert.equal(fixed(0.5, 2), "0.50");
  assert.equal(fixed(NaN, 2), "n/a");
  assert.equal(fixed(Infinity, 2), "∞");
});
