// Unit tests of src/canvas/uuid7.ts: format, order within and across milliseconds, uniqueness.
import { describe, expect, it } from "vitest";
import { uuid7 } from "../../src/canvas/uuid7.js";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuid7", () => {
  it("is a version-7, RFC-variant UUID carrying the millisecond", () => {
    const now = Date.UTC(2026, 10, 24, 12, 0, 0);
    const id = uuid7(now + 10_000);
    expect(id).toMatch(V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBeGreaterThanOrEqual(now + 10_000);
  });

  it("sorts in the order made, even thousands within one millisecond (the counter carries into the next)", () => {
    const t = Date.now() + 60_000;
    const ids = Array.from({ length: 10_000 }, () => uuid7(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(V7);
    // A clock that goes back does not break the order either.
    const later = uuid7(t - 5_000);
    expect(later > ids.at(-1)!).toBe(true);
  });
});
