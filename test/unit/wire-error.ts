// Test helper: run something that must throw the contract's WireError, and get that error.
import { expect } from "vitest";
import { WireError } from "../../src/protocol/index.js";

/** Runs `fn`, expects a WireError and returns it. */
export function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error("expected a WireError, nothing was thrown");
}
