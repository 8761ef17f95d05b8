/**
 * Stamping, as in Celery 5.3: named values written on every task of a canvas (chord bodies and
 * callbacks included), readable by the task as `request.stamps`. The client writes them in
 * `options.stamps` (`{name: value}`) and lists their names in `options.stamped_headers`. The
 * stamp and visitor types are in `types.ts`.
 */
import type { StampContext, Stamps, StampingVisitor, VisitorStamps, WireOptions } from "./types.js";

/** Options of a `stamp()` call. */
export interface StampOptions {
  /**
   * Keep what is already stamped under the same name: the value becomes a list of the old and
   * new values (Celery's `append_stamps`). Default: the new value replaces the old one.
   */
  appendStamps?: boolean;
}

const HOOKS = [
  "onSignature",
  "onGroupStart",
  "onGroupEnd",
  "onChainStart",
  "onChainEnd",
  "onChordHeaderStart",
  "onChordHeaderEnd",
  "onChordBody",
  "onCallback",
  "onErrback",
] as const;

/** True when `value` has at least one visitor hook (and so is not a plain stamps object). */
export function isStampingVisitor(value: unknown): value is StampingVisitor {
  if (typeof value !== "object" || value === null) return false;
  return HOOKS.some((hook) => typeof (value as Record<string, unknown>)[hook] === "function");
}

/** `headers` plus what a hook returned (a hook's stamps add to, and win over, the inherited ones). */
export function withHookStamps(headers: Readonly<Stamps>, returned: VisitorStamps): Stamps {
  return returned ? { ...headers, ...returned } : { ...headers };
}

/**
 * Writes `stamps` into `options`: `options.stamps` gets the values, `options.stamped_headers`
 * the names (each once). With `append`, a name already stamped keeps its old value(s) in a list.
 */
export function writeStamps(options: WireOptions, stamps: Readonly<Stamps>, append: boolean): WireOptions {
  const names = Object.keys(stamps);
  if (names.length === 0) return options;
  const previous = options.stamps ?? {};
  const merged: Stamps = { ...previous };
  for (const name of names) {
    const value = stamps[name];
    merged[name] = append && name in previous ? [...asList(previous[name]), ...asList(value)] : value;
  }
  const headers = [...(options.stamped_headers ?? [])];
  for (const name of names) if (!headers.includes(name)) headers.push(name);
  return { ...options, stamps: merged, stamped_headers: headers };
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}
