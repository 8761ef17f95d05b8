/**
 * The canvas builders, with Celery's names: {@link chain}, {@link group}, {@link chord},
 * {@link map}, {@link starmap} and {@link chunks}. Each takes signature objects or their wire JSON.
 */
import type { CanvasSignature } from "./canvas-signature.js";
import { Chain } from "./chain.js";
import { Chord } from "./chord.js";
import type { ResultType } from "./applier.js";
import { fromJSON, toTaskSignature, type SignatureLike } from "./from-json.js";
import { Group } from "./group.js";
import { Chunks, MapSignature } from "./map.js";
import type { Signature } from "./signature.js";

/**
 * Celery's `chain(a, b, c)`: each step's result is the first argument of the next. A chain given
 * as a step is flattened into this one (its callbacks move to its last step, its errbacks to
 * every step, as Celery's `unchain_tasks` does), unless it carries other options. The chain's
 * type is its last step's: applying it answers that step's handle, with its result type.
 */
export function chain<const S extends readonly SignatureLike[]>(...steps: S): Chain<ResultType<LastOf<S>>, LastOf<S>>;
/** `chain<T>(...)`: a chain whose result type is declared as `T`. */
export function chain<T = unknown>(...steps: SignatureLike[]): Chain<T>;
export function chain(...steps: SignatureLike[]): Chain {
  const tasks: CanvasSignature[] = [];
  for (const step of steps.map(fromJSON)) {
    if (step instanceof Chain && isFlattenable(step)) tasks.push(...unchain(step));
    else tasks.push(step);
  }
  return new Chain(tasks);
}

/** The last of a list of steps as the compiler knows it (`unknown` for an empty list). */
type LastOf<S extends readonly unknown[]> = S extends readonly [] ? unknown : S extends readonly [...unknown[], infer L] ? L : S[number];

function isFlattenable(inner: Chain): boolean {
  return Object.keys(inner.options).every((name) => name === "link" || name === "link_error");
}

function unchain(inner: Chain): CanvasSignature[] {
  const errbacks = inner.options.link_error ?? [];
  const steps = inner.tasks.map((step) => errbacks.reduce<CanvasSignature>((s, eb) => s.linkError(eb), step));
  const last = steps.length - 1;
  if (last >= 0) steps[last] = (inner.options.link ?? []).reduce<CanvasSignature>((s, cb) => s.link(cb), steps[last]!);
  return steps;
}

/**
 * Celery's `group(a, b, c)` or `group([a, b, c])`: the members run in parallel; the result is the
 * list of their results in member order.
 */
export function group<T = unknown>(...members: SignatureLike[] | [readonly SignatureLike[]]): Group<T> {
  const list: readonly SignatureLike[] = members.length === 1 && Array.isArray(members[0]) ? (members[0] as readonly SignatureLike[]) : (members as SignatureLike[]);
  return new Group<T>(list.map(fromJSON));
}

/**
 * Celery's `chord(header, body)`: the header (a list or a group) runs as a group, then the body
 * gets the list of header results, in header order. The chord's type is its body's: applying it
 * answers the body's handle, with its result type.
 * @throws TypeError when `body` is missing.
 */
export function chord<B extends SignatureLike>(header: readonly SignatureLike[] | Group | SignatureLike, body: B): Chord<ResultType<B>, B>;
/** `chord<T>(header, body)`: a chord whose result type is declared as `T`. */
export function chord<T = unknown>(header: readonly SignatureLike[] | Group | SignatureLike, body: SignatureLike): Chord<T>;
export function chord(header: readonly SignatureLike[] | Group | SignatureLike, body: SignatureLike): Chord {
  if (body === undefined || body === null) throw new TypeError("chord(header, body) needs a body signature");
  let members: CanvasSignature[];
  if (Array.isArray(header)) members = (header as readonly SignatureLike[]).map(fromJSON);
  else {
    const node = fromJSON(header as SignatureLike);
    members = node instanceof Group ? [...node.tasks] : [node];
  }
  return new Chord(members, fromJSON(body));
}

/** Celery's `map(task, items)` (`task.map(items)`): one task calling `task(item)` for each item; the result is the list. */
export function map<T = unknown>(task: Signature | SignatureLike | string, items: readonly unknown[]): MapSignature<T> {
  if (!Array.isArray(items)) throw new TypeError("map(task, items) needs a list of items");
  return new MapSignature<T>("map", toTaskSignature(task, "map"), items);
}

/** Celery's `starmap(task, items)`: one task calling `task(...args)` for each argument list. */
export function starmap<T = unknown>(task: Signature | SignatureLike | string, items: readonly (readonly unknown[])[]): MapSignature<T> {
  return new MapSignature<T>("starmap", toTaskSignature(task, "starmap"), checkArgLists(items, "starmap"));
}

/**
 * Celery's `chunks(task, items, n)`: the argument lists split into tasks of `n` items, run as a
 * group; each chunk's result is a list.
 * @throws TypeError when `n` is not an integer >= 1.
 */
export function chunks<T = unknown>(task: Signature | SignatureLike | string, items: readonly (readonly unknown[])[], n: number): Chunks<T> {
  if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) throw new TypeError(`chunks(task, items, n) needs n to be an integer >= 1, got ${String(n)}`);
  return new Chunks<T>(toTaskSignature(task, "chunks"), checkArgLists(items, "chunks"), n);
}

function checkArgLists(items: readonly (readonly unknown[])[], where: string): readonly (readonly unknown[])[] {
  if (!Array.isArray(items)) throw new TypeError(`${where}(task, items) needs a list of argument lists`);
  items.forEach((args, i) => {
    if (!Array.isArray(args)) throw new TypeError(`${where}: item ${i} must be an argument list, e.g. [1, 2]`);
  });
  return items;
}
