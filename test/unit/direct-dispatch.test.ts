/** The rule of direct dispatch (src/runtime/direct-dispatch.ts): the setting and the test. */
import { describe, expect, it } from "vitest";
import { DEFAULT_DIRECT_DISPATCH_LIMIT, directDispatchLimit, goesDirect } from "../../src/runtime/direct-dispatch";

describe("directDispatchLimit", () => {
  it("reads EDGERY_DIRECT_DISPATCH; unset, blank or not a non-negative integer is the default", () => {
    expect(directDispatchLimit({})).toBe(DEFAULT_DIRECT_DISPATCH_LIMIT);
    expect(directDispatchLimit({ EDGERY_DIRECT_DISPATCH: " " })).toBe(DEFAULT_DIRECT_DISPATCH_LIMIT);
    expect(directDispatchLimit({ EDGERY_DIRECT_DISPATCH: "0" })).toBe(0);
    expect(directDispatchLimit({ EDGERY_DIRECT_DISPATCH: "32" })).toBe(32);
    for (const bad of ["-1", "1.5", "many", "NaN", "1e3", "0x10"]) expect(directDispatchLimit({ EDGERY_DIRECT_DISPATCH: bad })).toBe(DEFAULT_DIRECT_DISPATCH_LIMIT);
  });
});

describe("goesDirect", () => {
  it("direct while the leased tasks, this dispatch's included, are within the limit; never with limit 0", () => {
    expect(goesDirect(1, 8)).toBe(true);
    expect(goesDirect(8, 8)).toBe(true);
    expect(goesDirect(9, 8)).toBe(false);
    expect(goesDirect(1000, 8)).toBe(false);
    expect(goesDirect(1, 0)).toBe(false);
  });
});
