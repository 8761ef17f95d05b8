import { describe, expect, it } from "vitest";
import { ProgressReporter, progressBar, progressOf } from "../../cli/progress.js";

describe("the CLI's progress bar", () => {
  it("reads current/total only when both are finite numbers and total > 0", () => {
    expect(progressOf({ current: 2, total: 5 })).toEqual({ current: 2, total: 5 });
    for (const meta of [null, undefined, 3, "x", [], { current: 1 }, { current: "1", total: 2 }, { current: 1, total: 0 }, { current: 1, total: -3 }, { current: Number.NaN, total: 2 }, { current: 1, total: Number.POSITIVE_INFINITY }]) {
      expect(progressOf(meta), JSON.stringify(meta)).toBeNull();
    }
  });

  it("draws a fixed-width bar, clamped when current is outside 0..total", () => {
    expect(progressBar(0, 4, 8)).toBe("[        ] 0/4 0%");
    expect(progressBar(1, 4, 8)).toBe("[##      ] 1/4 25%");
    expect(progressBar(4, 4, 8)).toBe("[########] 4/4 100%");
    expect(progressBar(9, 4, 8)).toBe("[########] 9/4 100%");
    expect(progressBar(-1, 4, 8)).toBe("[        ] -1/4 0%");
  });

  it("redraws one line on a terminal and writes a line per change otherwise", () => {
    const tty: string[] = [];
    const t = new ProgressReporter({ write: (s) => tty.push(s), isTTY: true });
    t.update("STARTED", null);
    t.update("PROGRESS", { current: 1, total: 2 });
    t.update("PROGRESS", { current: 1, total: 2 });
    t.end();
    expect(tty).toEqual(["\rSTARTED\x1b[K", `\rPROGRESS ${progressBar(1, 2)}\x1b[K`, "\n"]);
    const plain: string[] = [];
    const p = new ProgressReporter({ write: (s) => plain.push(s), isTTY: false });
    p.update("PROGRESS", { current: 1, total: 2 });
    p.update("PROGRESS", { current: 2, total: 2 });
    p.end();
    expect(plain).toEqual([`PROGRESS ${progressBar(1, 2)}\n`, `PROGRESS ${progressBar(2, 2)}\n`]);
  });
});
