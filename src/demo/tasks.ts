/**
 * The demo tasks of the HTTP contract, used by examples, tests and the bench.
 */
import { NamedError, SoftTimeLimitExceeded } from "../protocol/index.js";
import type { App } from "../app/app.js";

const num = (v: unknown): number => Number(v);

/** Registers the demo tasks and their route (`demo.mul` → queue `math`). */
export function registerDemoTasks(app: App): void {
  app.route({ "demo.mul": { queue: "math" } });
  app
    .task("demo.noop", () => null)
    .task("demo.add", (_c, [x, y]) => num(x) + num(y))
    .task("demo.mul", (_c, [x, y]) => num(x) * num(y))
    // Late ack as the task's own default (never the caller's): redelivered if its worker is lost.
    .task("demo.add_late", (_c, [x, y]) => num(x) + num(y), { acks_late: true })
    .task("demo.xsum", (_c, [list]) => (list as unknown[]).reduce<number>((s, v) => s + num(v), 0))
    .task("demo.identity", (_c, [x]) => x ?? null)
    .task("demo.echo", (_c, args, kwargs) => ({ args, kwargs }))
    .task("demo.fail", (_c, [message]) => {
      throw new NamedError("DemoError", String(message ?? "demo failure"));
    })
    .task("demo.sleep", async (c, [ms]) => {
      await c.sleep(num(ms));
      return num(ms);
    })
    .task("demo.spin", (_c, [ms]) => {
      const end = Date.now() + num(ms);
      let x = 0;
      while (Date.now() < end) x += 1;
      return x >= 0 ? num(ms) : 0;
    })
    .task("demo.soft_cleanup", async (c, [ms]) => {
      try {
        await c.sleep(num(ms));
        return num(ms);
      } catch (err) {
        if (err instanceof SoftTimeLimitExceeded) return "cleaned up";
        throw err;
      }
    })
    // Spins `ms` without awaiting (so no timer can fire), then makes one call into edgery:
    // answers what it raised. Shows that each awaitable observes a soft limit passed meanwhile.
    .task("demo.soft_probe", async (c, [ms, what]) => {
      const end = Date.now() + num(ms);
      while (Date.now() < end) {
        // Busy: nothing here gives control back.
      }
      try {
        if (what === "update_state") await c.updateState("PROGRESS", { late: true });
        else if (what === "send") await c.send("demo.add", { args: [1, 2] });
        else if (what === "apply") await c.apply({ task: "demo.add", args: [1, 2] });
        else if (what === "sleep") await c.sleep(1);
        else if (what === "acknowledge") await c.acknowledge();
        else c.checkpoint();
        return "not raised";
      } catch (err) {
        if (err instanceof SoftTimeLimitExceeded) return "SoftTimeLimitExceeded";
        throw err;
      }
    })
    // Sends demo.add(x, y) as a subtask and answers its handle's id.
    .task("demo.spawn", async (c, [x, y]) => (await c.send("demo.add", { args: [num(x), num(y)] })).id)
    .task("demo.progress", async (c, [steps, ms]) => {
      const total = num(steps);
      for (let i = 1; i <= total; i++) {
        await c.updateState("PROGRESS", { current: i, total });
        await c.sleep(num(ms));
      }
      return total;
    })
    .task("demo.retry_until", (c, [n]) => {
      if (c.retries + 1 < num(n)) throw c.retry({ countdown: 0 });
      return c.retries;
    })
    .task("demo.request", (c) => ({
      id: c.id,
      task: c.task,
      queue: c.queue,
      priority: c.priority,
      retries: c.retries,
      group_id: c.groupId,
      parent_id: c.parentId,
      root_id: c.rootId,
      stamps: c.stamps,
      delivery_info: c.deliveryInfo,
    }))
    .task("demo.stamps", (c) => c.stamps)
    // Result backends (docs/result-backends.md): kept in D1 beyond result_expires, queryable.
    .task("demo.persist", (_c, [x]) => x ?? null, { backend: "d1", result_persistent: true, result_extended: true })
    // A string of n bytes: past the R2 threshold (1 MiB) the value is stored in R2.
    .task("demo.blob", (_c, [n]) => {
      const size = Math.max(0, Math.min(Math.floor(num(n)), 64 * 1024 * 1024));
      return "x".repeat(size);
    });
}
