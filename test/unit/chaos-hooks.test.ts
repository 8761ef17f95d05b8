// The fault harness's hooks (src/runtime/chaos.ts): EDGERY_CHAOS_DUPLICATE and
// EDGERY_CHAOS_SLOW_RESULTS_MS act in local dev only (EDGERY_DEV exactly "true"); in any other
// environment they are off, whatever the variables say.
import { describe, expect, it } from "vitest";
import { MAX_CHAOS_SLOW_RESULTS_MS, chaosHooks } from "../../src/runtime/chaos.js";

const asked = { EDGERY_CHAOS_DUPLICATE: "true", EDGERY_CHAOS_SLOW_RESULTS_MS: "250" };

describe("chaos hooks", () => {
  it("are off unless EDGERY_DEV is \"true\", whatever the hook variables say", () => {
    for (const dev of [undefined, "false", "", "TRUE", "True", "1", "yes", " true"]) {
      expect(chaosHooks({ ...asked, EDGERY_DEV: dev }), `EDGERY_DEV=${JSON.stringify(dev)}`).toEqual({ duplicateDeliveries: false, slowResultsMs: 0 });
    }
  });

  it("in local dev, follow the variables", () => {
    expect(chaosHooks({ ...asked, EDGERY_DEV: "true" })).toEqual({ duplicateDeliveries: true, slowResultsMs: 250 });
    expect(chaosHooks({ EDGERY_DEV: "true" })).toEqual({ duplicateDeliveries: false, slowResultsMs: 0 });
  });

  it("read a delay that is not a positive number as off, and cut a long one to the limit", () => {
    for (const v of ["", "0", "-5", "abc", "NaN", "Infinity"]) {
      expect(chaosHooks({ EDGERY_DEV: "true", EDGERY_CHAOS_SLOW_RESULTS_MS: v }).slowResultsMs, v).toBe(0);
    }
    expect(chaosHooks({ EDGERY_DEV: "true", EDGERY_CHAOS_SLOW_RESULTS_MS: "12.7" }).slowResultsMs).toBe(12);
    expect(chaosHooks({ EDGERY_DEV: "true", EDGERY_CHAOS_SLOW_RESULTS_MS: "1e9" }).slowResultsMs).toBe(MAX_CHAOS_SLOW_RESULTS_MS);
  });
});
