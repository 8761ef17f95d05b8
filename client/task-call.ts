/**
 * A typed client's view of an app's tasks: what `send(name, call)` takes for task `name` of a
 * task map (`TasksOf<typeof app>` from `edgery`), and what it gives.
 */
import type { TaskMap, TaskTypes } from "../src/protocol/shared.js";
import type { KnownSignatureOptions } from "./options.js";

/** The task names of a map. */
export type TaskName<T extends TaskMap> = keyof T & string;

/**
 * Call-time values of a typed task: `args` as its schema takes them (required unless it takes
 * none), `kwargs` likewise, and only the options edgery knows.
 */
export type TaskCall<S extends TaskTypes<readonly unknown[], object, unknown>> = ([] extends S["args"] ? { args?: S["args"] } : { args: S["args"] }) &
  ({} extends S["kwargs"] ? { kwargs?: S["kwargs"] } : { kwargs: S["kwargs"] }) & { options?: KnownSignatureOptions };

/** `send`'s arguments after the name: the call may be left out when nothing in it is required. */
export type TaskCallArgs<S extends TaskTypes<readonly unknown[], object, unknown>> = {} extends TaskCall<S> ? [call?: TaskCall<S>] : [call: TaskCall<S>];

/** `call`'s arguments after the name: as {@link TaskCallArgs}, then the seconds to wait. */
export type TaskCallWaitArgs<S extends TaskTypes<readonly unknown[], object, unknown>> = {} extends TaskCall<S>
  ? [call?: TaskCall<S>, wait?: number]
  : [call: TaskCall<S>, wait?: number];
