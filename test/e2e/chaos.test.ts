// The reduced fault harness (`npm run chaos` with few tasks) as part of `npm test`: it starts its
// own dev servers, one per fault (a restart needs a server it may kill), so it runs as a child
// process. Each fault's table row must show nothing lost and nothing duplicated (the slow-backend
// fault: every result write delayed by EDGERY_CHAOS_SLOW_RESULTS_MS, dev only); the full-queue
// fault must have met at least one 503 (its queue starts paused, so it fills) and kept nothing
// of a refused bulk. The kill-mid-task fault is left to `npm run chaos` (see scripts/chaos/run.mjs).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Parses the harness's table into rows keyed by column name. */
function parseTable(text: string): Array<Record<string, string>> {
  const lines = text.split("\n").filter((l) => l.startsWith("|"));
  const cells = (l: string) => l.split("|").slice(1, -1).map((c) => c.trim());
  const head = cells(lines[0] ?? "");
  return lines.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])));
}

describe("fault harness (reduced)", () => {
  it("duplicate deliveries, a killed and restarted server, a full queue, a slow result backend: nothing lost, nothing duplicated", () => {
    const run = spawnSync(process.execPath, ["scripts/chaos/run.mjs"], {
      cwd: ROOT,
      env: { ...process.env, CHAOS_N: "300", CHAOS_WAIT_S: "60", CHAOS_FAULTS: "duplicate,restart,full-queue,slow-backend", CHAOS_SLOW_MS: "300" },
      encoding: "utf8",
      timeout: 720_000,
    });
    console.log(run.stdout);
    const out = `${run.stdout}\n${run.stderr.slice(-3000)}`;
    const rows = parseTable(run.stdout);
    expect(rows.map((r) => r.fault), out).toEqual(["duplicate", "restart", "full-queue", "slow-backend"]);
    for (const r of rows) {
      expect(r.sent, out).toBe("300");
      expect({ fault: r.fault, completed: r.completed, lost: r.lost, duplicated: r.duplicated }, out).toEqual({ fault: r.fault, completed: "300", lost: "0", duplicated: "0" });
    }
    expect(rows[0]!["dup (events)"], out).toBe("0");
    expect(Number(rows[2]!["503 refused"]), out).toBeGreaterThan(0);
    expect(rows[2]!["kept after 503"], out).toBe("0");
    expect(run.status, out).toBe(0);
  }, 780_000);
});
