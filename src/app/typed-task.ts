/**
 * Tasks defined with a schema for their arguments (any Standard Schema: zod, valibot, arktype):
 * the schema types `run`'s arguments and the client's, and validates the arguments both when the
 * task is sent through the app's API (422 with the path into `args`) and before `run` runs (a
 * chain step gets its parent's result only then).
 */
import type { TaskTypes } from "../protocol/index.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import type { TaskContext } from "./task-context.js";
import type { ArgSchemas, ArgsSchema, KwargsSchema, TaskFn } from "./task-definition.js";

type KwargsOut<K> = K extends KwargsSchema ? StandardSchemaV1.InferOutput<K> : Record<string, unknown>;
type KwargsIn<K> = K extends KwargsSchema ? StandardSchemaV1.InferInput<K> : Record<string, unknown>;

/**
 * A typed task: schemas of its arguments, and `run`, which gets them validated (with the
 * schema's transforms applied).
 */
export interface TypedTask<A extends ArgsSchema, K extends KwargsSchema | undefined, R> {
  /** The positional arguments, as a tuple schema (`z.tuple([z.string()])`). */
  args: A;
  /** The kwargs, as an object schema (default: any kwargs, unchecked). */
  kwargs?: K;
  /** The task's body. */
  run: (ctx: TaskContext, args: StandardSchemaV1.InferOutput<A>, kwargs: KwargsOut<K>) => R;
}

/** The types a typed task shows a client: the schemas' inputs and `run`'s awaited result. */
export type TypedTaskTypes<A extends ArgsSchema, K extends KwargsSchema | undefined, R> = TaskTypes<StandardSchemaV1.InferInput<A>, KwargsIn<K>, Awaited<R>>;

/** The first problem with a call's arguments: a message and its dotted path (`args.0.email`). */
export interface ArgIssue {
  message: string;
  path: string;
}

/** Validated args and kwargs (the schemas' outputs), or the first issue. */
export type ArgCheck = { ok: true; args: unknown[]; kwargs: Record<string, unknown> } | { ok: false; issue: ArgIssue };

/** Checks `args` and `kwargs` against a task's schemas. */
export async function checkArgs(schemas: ArgSchemas, args: unknown[], kwargs: Record<string, unknown>): Promise<ArgCheck> {
  const a = await schemas.args["~standard"].validate(args);
  if (a.issues) return { ok: false, issue: issueOf("args", a.issues) };
  if (!schemas.kwargs) return { ok: true, args: [...(a.value as readonly unknown[])], kwargs };
  const k = await schemas.kwargs["~standard"].validate(kwargs);
  if (k.issues) return { ok: false, issue: issueOf("kwargs", k.issues) };
  return { ok: true, args: [...(a.value as readonly unknown[])], kwargs: k.value as Record<string, unknown> };
}

function issueOf(root: "args" | "kwargs", issues: ReadonlyArray<StandardSchemaV1.Issue>): ArgIssue {
  const first = issues[0];
  const keys = (first?.path ?? []).map((s) => String(typeof s === "object" ? s.key : s));
  return { message: first?.message ?? "invalid", path: [root, ...keys].join(".") };
}

/**
 * The task function of a typed task: validates, then runs `run` with the validated values.
 * @throws TypeError (the task fails, as a Python task called with wrong arguments) naming the path.
 */
export function typedTaskFn(name: string, task: TypedTask<ArgsSchema, KwargsSchema | undefined, unknown>): TaskFn {
  const schemas: ArgSchemas = { args: task.args, kwargs: task.kwargs };
  return async (ctx, args, kwargs) => {
    const checked = await checkArgs(schemas, args, kwargs);
    if (!checked.ok) throw new TypeError(`task '${name}': ${checked.issue.path}: ${checked.issue.message}`);
    return task.run(ctx, checked.args as never, checked.kwargs as never);
  };
}
