// Unit tests of src/runtime/lease.ts: the seq a lease names.
import { describe, expect, it } from "vitest";
import { seqOfLease } from "../../src/runtime/lease.js";

describe("seqOfLease", () => {
  it("reads the seq after the last colon", () => {
    expect(seqOfLease("7f1c2d3e-aaaa-bbbb-cccc-000000000000:42")).toBe(42);
    expect(seqOfLease("a:b:7")).toBe(7);
    expect(seqOfLease("t:0")).toBe(0);
  });

  it("answers -1 for anything else (the lease then holds no row)", () => {
    for (const bad of ["", "42", ":42", "t:", "t:x", "t:1.5", "t:-3", "t:1e3x", `t:${2 ** 60}`]) expect(seqOfLease(bad)).toBe(-1);
  });
});
