/**
 * The canvas types that refer to each other, kept together below every class: a signature's wire
 * JSON, the {@link CanvasNode} every signature object is, its wire-form options and what a
 * stamping visitor sees. Types only; the code that uses them sits in the files above.
 */

/** The kinds of signature, as the contract's primitives table names them. */
export type SignatureKind = "task" | "chain" | "group" | "chord" | "map" | "starmap" | "chunks";

/** A signature's wire JSON: what Python's `dict(signature)` gives, key for key. */
export type SignatureJSON = {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: string | null;
  immutable: boolean;
};

/**
 * What options, stamping and the client need of a signature object. Every `CanvasSignature`
 * (task, chain, group, chord, map, starmap, chunks) is one.
 */
export interface CanvasNode {
  /** Which primitive this is. */
  readonly kind: SignatureKind;
  /** The wire `task`: the task name, or `celery.chain`, `celery.group`, ... */
  readonly task: string;
  /** Options with their wire names (`routing_key`, `stamped_headers`, ...). */
  readonly options: Readonly<WireOptions>;
  /** An immutable signature ignores its parent's result (and any call-time args). */
  readonly immutable: boolean;
  /** The wire `subtask_type`. */
  readonly subtaskType: string | null;
  /** The exact wire JSON. */
  toJSON(): SignatureJSON;
  /** @internal `toJSON` with the set of signatures being serialized above this one. */
  toWire(seen: WeakSet<object>): SignatureJSON;
  /** @internal Stamps this node and everything below it with `headers` (plus the visitor's). */
  stampWith(headers: Readonly<Stamps>, ctx: StampContext): this;
}

/** Options in wire form (snake_case); `link`/`link_error` hold signature objects until `toJSON`. */
export interface WireOptions {
  link?: readonly CanvasNode[];
  link_error?: readonly CanvasNode[];
  stamps?: Stamps;
  stamped_headers?: readonly string[];
  [name: string]: unknown;
}

/** Stamps: name → value (any JSON value). */
export type Stamps = Record<string, unknown>;

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
  onSignature?(sig: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
  onGroupStart?(group: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
  onGroupEnd?(group: CanvasNode, headers: Readonly<Stamps>): void;
  onChainStart?(chain: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
  onChainEnd?(chain: CanvasNode, headers: Readonly<Stamps>): void;
  /** A chord, before its header members are stamped. */
  onChordHeaderStart?(chord: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
  onChordHeaderEnd?(chord: CanvasNode, headers: Readonly<Stamps>): void;
  /** A chord, before its body is stamped; these stamps reach the body only. */
  onChordBody?(chord: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
  /** A `link` callback, before it is stamped. */
  onCallback?(callback: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
  /** A `link_error` errback, before it is stamped. */
  onErrback?(errback: CanvasNode, headers: Readonly<Stamps>): VisitorStamps;
}

/** The state carried down while a canvas is stamped. */
export interface StampContext {
  visitor: StampingVisitor | undefined;
  append: boolean;
}
