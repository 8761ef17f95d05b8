/**
 * What an app's tasks take and give, as types only: the app's task map
 * (`TasksOf<typeof app>`) is a record of these, and a typed client infers from it. Nothing here
 * reaches the wire: a signature stays Celery's JSON.
 */

/** One task's argument, kwargs and result types. */
export interface TaskTypes<Args extends readonly unknown[] = unknown[], Kwargs extends object = Record<string, unknown>, Result = unknown> {
  readonly args: Args;
  readonly kwargs: Kwargs;
  readonly result: Result;
}

/** Tasks by name. */
export type TaskMap = { readonly [name: string]: TaskTypes<readonly unknown[], object, unknown> };

/** The task map of an app or client that knows no task types: any name, any arguments. */
export type UntypedTasks = { readonly [name: string]: TaskTypes };
