// Unit tests of src/runtime/lease.ts: the seq a lease names.
import { describe, expect, it } from "vitest";
import { leaseOf, seqOfLease } from "../../src/runtime/lease.js";

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

describe("leaseOf", () => {
  it("names the row: seqOfLease reads back the seq it was made for", () => {
    for (const seq of [0, 1, 42, Number.MAX_SAFE_INTEGER]) expect(seqOfLease(leaseOf(crypto.randomUUID(), seq))).toBe(seq);
    expect(leaseOf("tok", 7)).toBe("tok:7");
  });
});
