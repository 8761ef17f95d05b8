/**
 * Stamping, as in Celery 5.3: named values written on every task of a canvas (chord bodies and
 * callbacks included), readable by the task as `request.stamps`. The client writes them in
 * `options.stamps` (`{name: value}`) and lists their names in `options.stamped_headers`.
 */
import type { CanvasSignature } from "./canvas-signature.js";
import type { WireOptions } from "./options.js";

/** Stamps: name → value (any JSON value). */
export type Stamps = Record<string, unknown>;

/** Options of a `stamp()` call. */
export interface StampOptions {
  /**
   * Keep what is already stamped under the same name: the value becomes a list of the old and
   * new values (Celery's `append_stamps`). Default: the new value replaces the old one.
   */
  appendStamps?: boolean;
}

/** What a visitor hook returns: stamps for that node (and, for canvases, everything inside). */
export type VisitorStamps = Stamps | undefined | void;

/**
 * Celery's `StampingVisitor`: hooks called while a canvas is stamped, each returning the stamps
 * to add. Stamps returned at a canvas node (`onGroupStart`, `onChainStart`,
 * `onChordHeaderStart`, `onChordBody`, `onCallback`) reach every task below it; `onSignature`
 * stamps one task. `headers` are the stamps inherited from above.
 */
export interface StampingVisitor {
  /** A task signature (also the map/starmap/chunks signature itself). */
  onSignature?(sig: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
  onGroupStart?(group: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
  onGroupEnd?(group: CanvasSignature, headers: Readonly<Stamps>): void;
  onChainStart?(chain: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
  onChainEnd?(chain: CanvasSignature, headers: Readonly<Stamps>): void;
  /** A chord, before its header members are stamped. */
  onChordHeaderStart?(chord: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
  onChordHeaderEnd?(chord: CanvasSignature, headers: Readonly<Stamps>): void;
  /** A chord, before its body is stamped; these stamps reach the body only. */
  onChordBody?(chord: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
  /** A `link` callback, before it is stamped. */
  onCallback?(callback: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
  /** A `link_error` errback, before it is stamped. */
  onErrback?(errback: CanvasSignature, headers: Readonly<Stamps>): VisitorStamps;
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

/** The state carried down while a canvas is stamped. */
export interface StampContext {
  visitor: StampingVisitor | undefined;
  append: boolean;
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
