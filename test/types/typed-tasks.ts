/**
 * Type tests of typed tasks (checked by `npm run typecheck`, never run): an app's task map flows
 * into the client; a misspelled task name, a wrong argument or a misspelled option does not
 * compile. Each `@ts-expect-error` fails the type check if its line compiles.
 */
import { z } from "zod";
import { App, type TasksOf } from "edgery";
import { createClient, type AsyncResult, type TaskFailedError, type TaskGetOptions } from "edgery/client";

const app = new App({ name: "types" })
  .task("emails.send", {
    args: z.tuple([z.email()]),
    kwargs: z.object({ template: z.string().optional() }),
    run: async (_ctx, [to], { template }) => ({ sent: to, template: template ?? "default" }),
  })
  .task("math.add", { args: z.tuple([z.number(), z.number()]), run: (_ctx, [a, b]) => a + b })
  .task("untyped.echo", (_ctx, args) => args.length);
type Tasks = TasksOf<typeof app>;

export async function typed(): Promise<void> {
  const edgery = createClient<Tasks>({ url: "http://127.0.0.1:8787", token: "dev-token" });
  const sent: AsyncResult<{ sent: string; template: string }> = await edgery.send("emails.send", { args: ["ada@example.com"], kwargs: { template: "welcome" } });
  const sum: number = await (await edgery.send("math.add", { args: [1, 2], options: { countdown: 5, priority: 9 } })).get();
  const echoed: number = await (await edgery.send("untyped.echo", { args: [1, "two"] })).get();
  void [sent, sum, echoed];

  // @ts-expect-error a misspelled task name
  await edgery.send("emails.sned", { args: ["ada@example.com"] });
  // @ts-expect-error a wrong argument type
  await edgery.send("math.add", { args: [1, "2"] });
  // @ts-expect-error a missing argument
  await edgery.send("math.add", { args: [1] });
  // @ts-expect-error args are required when the task takes some
  await edgery.send("math.add");
  // @ts-expect-error a misspelled option
  await edgery.send("math.add", { args: [1, 2], options: { coutndown: 5 } });
  // @ts-expect-error a wrong kwarg type
  await edgery.send("emails.send", { args: ["ada@example.com"], kwargs: { template: 1 } });
  // @ts-expect-error the result is a number, not a string
  const wrong: string = await (await edgery.send("math.add", { args: [1, 2] })).get();
  void wrong;

  // call (one round trip) is checked and typed as send is.
  const called: number = await (await edgery.call("math.add", { args: [1, 2] }, 5)).get();
  const calledEcho: number = await (await edgery.call("untyped.echo")).get();
  void [called, calledEcho];
  // @ts-expect-error a misspelled task name
  await edgery.call("math.ad", { args: [1, 2] });
  // @ts-expect-error a wrong argument type
  await edgery.call("math.add", { args: ["x", 2] });
  // @ts-expect-error args are required when the task takes some
  await edgery.call("math.add");
  // @ts-expect-error the result is a number, not a string
  const wrongCall: string = await (await edgery.call("math.add", { args: [1, 2] })).get();
  void wrongCall;
}

export async function options(): Promise<void> {
  const edgery = createClient({ url: "http://127.0.0.1:8787", token: "dev-token" });
  // Options computed at run time, and the exported option types, are accepted by get().
  const opts: TaskGetOptions = { timeout: 1 };
  const propagate = Math.random() > 0.5;
  const a: unknown = await edgery.result<number>("x").get(opts);
  const b: number | TaskFailedError = await edgery.result<number>("x").get({ propagate });
  const c: Array<number | TaskFailedError> = await edgery.groupResult<number>("g").get({ propagate, timeout: 2 });
  // Every queue setting the API takes is typed.
  await edgery.setQueue("math", { concurrency: 2, paused: false, prefetch: 10, max_waiting: 1000 });
  // @ts-expect-error not a queue setting
  await edgery.setQueue("math", { prefetc: 10 });
  void [a, b, c];
}

export async function untyped(): Promise<void> {
  // Without a task map: any name and arguments (options are still checked: test/types/option-names.ts), the result typed by the caller.
  const edgery = createClient({ url: "http://127.0.0.1:8787", token: "dev-token" });
  const n: AsyncResult<number> = await edgery.send<number>("anything.at.all", { args: [1], options: { routing_key: "r" } });
  const m: AsyncResult<number> = await edgery.call<number>("anything.at.all", { args: [1] }, 2.5);
  void [n, m];
}
