/**
 * A user's edgery Worker: its own tasks and routes, the API and the consumer, and the Durable
 * Object classes re-exported for wrangler.toml. The tasks are typed: each has a schema of its
 * arguments (zod here; valibot or arktype work the same), and `Tasks` is what a producer's
 * `createClient<Tasks>()` checks its calls against.
 */
import { z } from "zod";
import { App, edgery, SoftTimeLimitExceeded, type TasksOf } from "edgery";

export { QueueDO, ResultDO, ChordDO, EventsDO, ScheduleDO, DirectoryDO, IdempotencyDO, EdgeryDelivery } from "edgery";

const app = new App({
  name: "my-app",
  routes: {
    "emails.*": { queue: "email" },
    "images.process": { queue: "image_processing", priority: 5 },
  },
  defaults: { soft_time_limit: 300, time_limit: 600 },
})
  .task(
    "emails.send",
    {
      args: z.tuple([z.email()]),
      kwargs: z.object({ template: z.string().optional() }),
      run: async (ctx, [to], { template }) => {
        await ctx.updateState("PROGRESS", { step: "rendering" });
        return { sent: to, template: template ?? "default" };
      },
    },
    { acks_late: true, max_retries: 5, retry_backoff: true },
  )
  .task(
    "images.process",
    {
      args: z.tuple([z.url()]),
      run: async (ctx, [url]) => {
        try {
          const res = await fetch(url, { signal: ctx.signal });
          return { bytes: (await res.arrayBuffer()).byteLength, cut: false };
        } catch (err) {
          if (err instanceof SoftTimeLimitExceeded) return { bytes: 0, cut: true };
          throw err;
        }
      },
    },
    { soft_time_limit: 20, time_limit: 30 },
  )
  // A chord body: its argument is the list of the header's results.
  .task("reports.merge", { args: z.tuple([z.array(z.unknown())]), run: (_ctx, [parts]) => ({ merged: parts, count: parts.length }) });

/** The app's tasks, their arguments and results: `createClient<Tasks>(...)` in a producer. */
export type Tasks = TasksOf<typeof app>;

export default edgery(app);
