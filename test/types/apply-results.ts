/**
 * Type tests of what `apply` answers (checked by `npm run typecheck`, never run): the handle the
 * API answers decides the result object. A task, map or starmap, and a chain or chord ending in
 * one, answer one task's handle (an AsyncResult); a group or chunks, and a chain or chord ending
 * in one, answer a group's (a GroupResult); the result type is the last step's (or the body's),
 * declared on the signature or, for a typed client, its task's in the app's task map. Each
 * `@ts-expect-error` fails the type check if its line compiles.
 */
import { z } from "zod";
import { expectTypeOf } from "vitest";
import { App, type TasksOf } from "edgery";
import { chain, chord, chunks, createClient, group, map, sig, si, type AsyncResult, type CanvasSignature, type GroupResult } from "edgery/client";

const app = new App({ name: "apply-types" })
  .task("math.add", { args: z.tuple([z.number(), z.number()]), run: (_ctx, [a, b]) => a + b })
  .task("math.xsum", { args: z.tuple([z.array(z.number())]), run: (_ctx, [xs]) => ({ total: xs.reduce((a, b) => a + b, 0) }) });
type Tasks = TasksOf<typeof app>;

export async function untypedClient(): Promise<void> {
  const edgery = createClient({ url: "http://127.0.0.1:8787", token: "dev-token" });

  // A chain answers its last step's handle, a chord its body's: one task, with its declared type.
  expectTypeOf(await edgery.apply(chain(sig("a"), sig<number>("b")))).toEqualTypeOf<AsyncResult<number>>();
  expectTypeOf(await edgery.apply(chord([sig("a"), sig("b")], sig<string>("c")))).toEqualTypeOf<AsyncResult<string>>();
  expectTypeOf(await edgery.apply(chain(sig("a"), chord([sig("b")], si<boolean>("c"))))).toEqualTypeOf<AsyncResult<boolean>>();
  expectTypeOf(await edgery.apply(chain(sig("a"), map(sig("b"), [1, 2])))).toEqualTypeOf<AsyncResult<unknown>>();
  const sum: number = await (await edgery.apply(chain(sig("a"), sig<number>("b")))).get();
  void sum;
  // A chain or chord that ends in a group answers the group's handle.
  expectTypeOf(await edgery.apply(chain(sig("a"), group<number>(sig("b"), sig("c"))))).toEqualTypeOf<GroupResult<number>>();
  expectTypeOf(await edgery.apply(chord([sig("a")], chunks("b", [[1]], 1)))).toEqualTypeOf<GroupResult<unknown>>();
  // A group is a GroupResult, a task an AsyncResult, as before.
  expectTypeOf(await edgery.apply(group(sig("a"), sig("b")))).toEqualTypeOf<GroupResult<unknown>>();
  expectTypeOf(await edgery.apply(sig<number>("a"))).toEqualTypeOf<AsyncResult<number>>();
  // A result type declared on the chain itself is kept; the steps are not inferred then, so the
  // handle may be either (declare it on the last step to get an AsyncResult).
  expectTypeOf(await edgery.apply(chain<number>(sig("a"), sig("b")))).toEqualTypeOf<AsyncResult<number> | GroupResult<number>>();
  expectTypeOf(await edgery.apply(chord<number>([sig("a")], sig("b")))).toEqualTypeOf<AsyncResult<number> | GroupResult<number>>();
  // delay and applyAsync answer what apply does.
  expectTypeOf(await chain(sig("a"), sig<number>("b")).delay(edgery)).toEqualTypeOf<AsyncResult<number>>();
  expectTypeOf(await chord([sig("a")], group(sig("b"))).applyAsync(edgery)).toEqualTypeOf<GroupResult<unknown>>();
  // @ts-expect-error a chain of tasks has no GroupResult's members
  void (await edgery.apply(chain(sig("a"), sig("b")))).results;

  // Where the last step is not known to the compiler (a computed list, wire JSON), either may come.
  const steps: CanvasSignature[] = [sig("a"), group(sig("b"))];
  expectTypeOf(await edgery.apply(chain(...steps))).toEqualTypeOf<AsyncResult<unknown> | GroupResult<unknown>>();
  const wire = { task: "celery.group", args: [], kwargs: { tasks: [] }, options: {}, subtask_type: "group", immutable: false };
  expectTypeOf(await edgery.apply(chain(sig("a"), wire))).toEqualTypeOf<AsyncResult<unknown> | GroupResult<unknown>>();
}

export async function typedClient(): Promise<void> {
  const edgery = createClient<Tasks>({ url: "http://127.0.0.1:8787", token: "dev-token" });
  // With the app's task map, the last task's (or the body's) result type comes from its name.
  expectTypeOf(await edgery.apply(chain(sig("math.add", 1, 2), sig("math.add", 3)))).toEqualTypeOf<AsyncResult<number>>();
  expectTypeOf(await edgery.apply(chord([sig("math.add", 1, 1), sig("math.add", 2, 2)], sig("math.xsum")))).toEqualTypeOf<AsyncResult<{ total: number }>>();
  expectTypeOf(await edgery.apply(sig("math.add", 1, 2))).toEqualTypeOf<AsyncResult<number>>();
  // A name outside the map stays unknown; a declared type still wins.
  expectTypeOf(await edgery.apply(chain(sig("math.add", 1, 2), sig("other.task")))).toEqualTypeOf<AsyncResult<unknown>>();
  expectTypeOf(await edgery.apply(chain(sig("math.add", 1, 2), sig<string>("math.add", 3)))).toEqualTypeOf<AsyncResult<string>>();
  expectTypeOf(await chain(sig("math.add", 1, 2), sig("math.add", 3)).delay(edgery)).toEqualTypeOf<AsyncResult<number>>();
  // @ts-expect-error the chord body's result is an object, not a number
  const n: number = await (await edgery.apply(chord([sig("math.add", 1, 1)], sig("math.xsum")))).get();
  void n;
}
