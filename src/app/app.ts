/**
 * The task registry: `app.task(name, fn, defaults)`, routes and global defaults, as a Celery app.
 */
import { compileRoutes, type Route, type RouteTable } from "./routing.js";
import { builtinTasks } from "./builtins.js";
import { compileBrokers, type BrokerMap } from "./broker-config.js";
import { compileQueueConfigs, SINGLE_SHARD, type QueueConfig, type QueueLayout } from "./queue-config.js";
import { parseSignature, type TaskMap, type TaskTypes, type WireSignature } from "../protocol/index.js";
import { defineSchedule, type ScheduleDefinition, type ScheduleWhen } from "../schedule/schedule.js";
import { checkBackend, checkResultDefaults, type ArgsSchema, type KwargsSchema, type TaskDefaults, type TaskDefinition, type TaskFn } from "./task-definition.js";
import type { TaskContext } from "./task-context.js";
import { typedTaskFn, type TypedTask, type TypedTaskTypes } from "./typed-task.js";

export type { TaskDefaults, TaskDefinition, TaskFn } from "./task-definition.js";

/** The task map of an app (`export type Tasks = TasksOf<typeof app>`), for a typed client. */
export type TasksOf<A> = A extends { readonly "~tasks"?: infer T } ? (T extends TaskMap ? T : never) : never;

/** `T` with task `N` added. */
type WithTask<T extends TaskMap, N extends string, Types> = T & { readonly [K in N]: Types };

/** App-wide configuration (Celery's `app.conf` subset). */
export interface AppConfig {
  /** Name reported as `worker` in results. */
  name: string;
  /** Task routes: exact names and glob patterns. */
  routes: Record<string, Route>;
  /** Defaults applied to every task (a task's own defaults win). */
  defaults: TaskDefaults;
  /** Per-queue layout: QueueDO shards and a location hint (src/app/queue-config.ts). */
  queues: Record<string, QueueConfig>;
}

/**
 * A Celery-style app: a registry of tasks, routes and defaults.
 * @typeParam T - The task map, grown by each `task()` call in a chain (types only).
 */
export class App<T extends TaskMap = {}> {
  /** Types only (no value): the app's task map, read by {@link TasksOf}. */
  declare readonly "~tasks"?: T;
  readonly name: string;
  private readonly tasks = new Map<string, TaskDefinition>();
  private readonly optional = new Set<string>();
  private readonly mergedDefaults = new Map<string, Readonly<TaskDefaults>>();
  private optionalOn = false;
  private routeTable: RouteTable;
  private routeMap: Record<string, Route>;
  private brokerMap: BrokerMap;
  private readonly queueLayouts: Map<string, QueueLayout>;
  private readonly scheduleMap = new Map<string, ScheduleDefinition>();
  /** App-wide task defaults (`task_soft_time_limit`, `task_acks_late`, ...). */
  readonly defaults: TaskDefaults;

  constructor(config: Partial<AppConfig> & { name: string }) {
    this.name = config.name;
    this.routeMap = { ...(config.routes ?? {}) };
    this.routeTable = compileRoutes(this.routeMap);
    this.brokerMap = compileBrokers(this.routeMap);
    this.queueLayouts = compileQueueConfigs(config.queues ?? {});
    checkResultDefaults(`app '${config.name}' defaults`, config.defaults ?? {});
    for (const [key, r] of Object.entries(this.routeMap)) checkBackend(`route '${key}'`, r.backend);
    this.defaults = { ...(config.defaults ?? {}) };
    for (const b of builtinTasks((name) => this.get(name))) this.task(b.name, b.fn);
  }

  /**
   * Registers a task. `fn` gets the context, the positional args and the kwargs. Or, typed: an
   * args schema (any Standard Schema: zod, valibot, arktype), optionally a kwargs schema, and
   * `run`; the API then refuses a call whose arguments do not pass (422 `invalid_signature` at
   * `args.<path>`), and `run` gets the validated values. Returns the app with the task in its
   * type (chain the calls and `export type Tasks = TasksOf<typeof app>` for a typed client).
   *
   * ```ts
   * const app = new App({ name: "shop" })
   *   .task("emails.send", { args: z.tuple([z.email()]), run: async (ctx, [to]) => ({ sent: to }) });
   * ```
   */
  task<N extends string, R>(name: N, fn: (ctx: TaskContext, args: unknown[], kwargs: Record<string, unknown>) => R, defaults?: TaskDefaults): App<WithTask<T, N, TaskTypes<unknown[], Record<string, unknown>, Awaited<R>>>>;
  task<N extends string, A extends ArgsSchema, R, K extends KwargsSchema | undefined = undefined>(name: N, task: TypedTask<A, K, R>, defaults?: TaskDefaults): App<WithTask<T, N, TypedTaskTypes<A, K, R>>>;
  task(name: string, fnOrTask: TaskFn | TypedTask<ArgsSchema, KwargsSchema | undefined, unknown>, defaults: TaskDefaults = {}): App<TaskMap> {
    if (this.tasks.has(name)) throw new Error(`task '${name}' is registered twice`);
    checkResultDefaults(`task '${name}'`, defaults);
    if (typeof fnOrTask === "function") this.tasks.set(name, { name, fn: fnOrTask, defaults });
    else this.tasks.set(name, { name, fn: typedTaskFn(name, fnOrTask), defaults, schemas: { args: fnOrTask.args, kwargs: fnOrTask.kwargs } });
    this.mergedDefaults.delete(name);
    return this as App<TaskMap>;
  }

  /**
   * Registers a periodic task, as a Celery beat entry: `signature` is applied on a cron
   * expression (five fields, UTC unless `tz` names an IANA time zone) or every `every` seconds.
   * Checked now, not when it runs.
   *
   * ```ts
   * app.schedule("cleanup", { cron: "*\/5 * * * *" }, { task: "jobs.cleanup" });
   * app.schedule("report", { cron: "0 9 * * MON-FRI", tz: "America/New_York" }, { task: "jobs.report" });
   * ```
   * @throws Error for a bad name, cron or interval; WireError for a bad signature.
   */
  schedule(name: string, when: ScheduleWhen, signature: WireSignature): this {
    if (this.scheduleMap.has(name)) throw new Error(`schedule '${name}' is registered twice`);
    parseSignature(signature);
    this.scheduleMap.set(name, defineSchedule(name, when, signature));
    return this;
  }

  /** The registered schedules, by name. */
  schedules(): ScheduleDefinition[] {
    return [...this.scheduleMap.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Adds routes (exact names or glob patterns), as Celery's `task_routes`. */
  route(routes: Record<string, Route>): this {
    const routeMap = { ...this.routeMap, ...routes };
    // Checked first: a route naming an unknown broker fails here, when the app is built.
    this.brokerMap = compileBrokers(routeMap);
    for (const [key, r] of Object.entries(routes)) checkBackend(`route '${key}'`, r.backend);
    this.routeMap = routeMap;
    this.routeTable = compileRoutes(this.routeMap);
    return this;
  }

  /** The registered task of that name (an optional one only while optional tasks are on). */
  get(name: string): TaskDefinition | undefined {
    const def = this.tasks.get(name);
    return def && (!this.optional.has(name) || this.optionalOn) ? def : undefined;
  }

  /**
   * Registers tasks that are served only while `enableOptional(true)` (the demo tasks: on in
   * local dev, off in a deployed Worker unless configured).
   */
  optionalTasks(register: (app: this) => void): this {
    const before = new Set(this.tasks.keys());
    register(this);
    for (const name of this.tasks.keys()) if (!before.has(name)) this.optional.add(name);
    return this;
  }

  /** Turns the optional tasks on or off. */
  enableOptional(on: boolean): void {
    this.optionalOn = on;
  }

  /** True when the task is registered or a route serves it. */
  serves(name: string): boolean {
    if (this.get(name)) return true;
    if (this.routeTable.exact.has(name)) return true;
    return this.routeTable.patterns.some((p) => p.regex.test(name));
  }

  /** The compiled routes. */
  get routes(): RouteTable {
    return this.routeTable;
  }

  /** Names of all registered tasks. */
  names(): string[] {
    return [...this.tasks.keys()];
  }

  /** Queue names the routes or the queues' config mention (known before any task is sent). */
  routedQueues(): string[] {
    return [...new Set([...Object.values(this.routeMap).flatMap((r) => (r.queue ? [r.queue] : [])), ...this.queueLayouts.keys()])];
  }

  /** A queue's layout: its QueueDO shards and location hint (one shard, no hint, unless configured). */
  queueLayout(queue: string): QueueLayout {
    return this.queueLayouts.get(queue) ?? SINGLE_SHARD;
  }

  /** Queue → broker for the queues that routes put on a broker other than the QueueDO. */
  get brokers(): BrokerMap {
    return this.brokerMap;
  }

  /** The task's defaults merged over the app's (computed once per task name; read-only). */
  defaultsOf(name: string): Readonly<TaskDefaults> {
    let merged = this.mergedDefaults.get(name);
    if (!merged) {
      merged = Object.freeze({ ...this.defaults, ...(this.tasks.get(name)?.defaults ?? {}) });
      this.mergedDefaults.set(name, merged);
    }
    return merged;
  }
}
