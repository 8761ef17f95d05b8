/**
 * A user's edgery Worker: its own tasks and routes, the API and the consumer, and the Durable
 * Object classes re-exported for wrangler.toml.
 */
import { App, edgery, SoftTimeLimitExceeded } from "edgery";

export { QueueDO, ResultDO, ChordDO, EventsDO, ScheduleDO, EdgeryDelivery } from "edgery";

const app = new App({
  name: "my-app",
  routes: {
    "emails.*": { queue: "email" },
    "images.process": { queue: "image_processing", priority: 5 },
  },
  defaults: { soft_time_limit: 300, time_limit: 600 },
});

app.task(
  "emails.send",
  async (ctx, [to], { template }) => {
    await ctx.updateState("PROGRESS", { step: "rendering" });
    return { sent: to, template: template ?? "default" };
  },
  { acks_late: true, max_retries: 5, retry_backoff: true },
);

app.task(
  "images.process",
  async (ctx, [url]) => {
    try {
      const res = await fetch(String(url), { signal: ctx.signal });
      return { bytes: (await res.arrayBuffer()).byteLength };
    } catch (err) {
      if (err instanceof SoftTimeLimitExceeded) return { bytes: 0, cut: true };
      throw err;
    }
  },
  { soft_time_limit: 20, time_limit: 30 },
);

app.task("reports.merge", (_ctx, [parts]) => ({ merged: parts, count: (parts as unknown[]).length }));

export default edgery(app);
