/**
 * Wire JSON back to signature objects (Celery's `Signature.from_dict` / `maybe_signature`), so a
 * Python `dict(signature)` can be used wherever the client takes a signature.
 */
import type { WireSignature } from "../src/protocol/shared.js";
import { CanvasSignature } from "./canvas-signature.js";
import { Chain } from "./chain.js";
import { Chord } from "./chord.js";
import { Group } from "./group.js";
import { Chunks, MapSignature } from "./map.js";
import { Signature } from "./signature.js";
import type { WireOptions } from "./types.js";

/** A signature object, or its wire JSON. */
export type SignatureLike = CanvasSignature | WireSignature;

/**
 * Turns wire JSON into a signature object (a signature object is returned as it is).
 * @throws TypeError for JSON that is not a signature, or that contains itself.
 */
export function fromJSON(value: SignatureLike): CanvasSignature {
  return convert(value, new WeakSet(), "signature");
}

/** {@link fromJSON} for a {@link Signature} of a single task (`map`, `starmap` and `chunks` need one). */
export function toTaskSignature(value: SignatureLike | string, where: string): Signature {
  const node = typeof value === "string" ? new Signature(value) : fromJSON(value);
  if (!(node instanceof Signature)) throw new TypeError(`${where} needs a task signature, not a ${node.kind}`);
  return node;
}

function convert(value: unknown, seen: WeakSet<object>, path: string): CanvasSignature {
  if (value instanceof CanvasSignature) return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${path} must be a signature`);
  if (seen.has(value)) throw new TypeError(`${path} contains itself: a canvas cannot be a cycle`);
  seen.add(value);
  try {
    return convertObject(value as WireSignature, seen, path);
  } finally {
    seen.delete(value);
  }
}

function convertObject(wire: WireSignature, seen: WeakSet<object>, path: string): CanvasSignature {
  if (typeof wire.task !== "string" || wire.task === "") throw new TypeError(`${path}.task must be a task name`);
  const kwargs = wire.kwargs ?? {};
  const options = convertOptions(wire.options ?? {}, seen, `${path}.options`);
  const list = (items: unknown, at: string): CanvasSignature[] => {
    if (!Array.isArray(items)) throw new TypeError(`${at} must be a list of signatures`);
    return items.map((item, i) => convert(item, seen, `${at}.${i}`));
  };
  const mapped = (at: string): Signature => {
    const node = convert(kwargs.task, seen, at);
    if (!(node instanceof Signature)) throw new TypeError(`${at} must be a task signature`);
    return node;
  };
  switch (wire.task) {
    case "celery.chain":
      return new Chain(list(kwargs.tasks, `${path}.kwargs.tasks`), options);
    case "celery.group":
      return new Group(list(kwargs.tasks, `${path}.kwargs.tasks`), options);
    case "celery.chord": {
      const header = kwargs.header;
      const members = Array.isArray(header) ? list(header, `${path}.kwargs.header`) : headerGroup(convert(header, seen, `${path}.kwargs.header`));
      if (kwargs.body === undefined || kwargs.body === null) throw new TypeError(`${path}.kwargs.body: a chord needs a body`);
      return new Chord(members, convert(kwargs.body, seen, `${path}.kwargs.body`), options);
    }
    case "celery.map":
    case "celery.starmap":
      return new MapSignature(wire.task === "celery.map" ? "map" : "starmap", mapped(`${path}.kwargs.task`), listOf(kwargs.it, `${path}.kwargs.it`), options);
    case "celery.chunks": {
      const n = kwargs.n;
      if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) throw new TypeError(`${path}.kwargs.n must be an integer >= 1`);
      const items = listOf(kwargs.it, `${path}.kwargs.it`);
      items.forEach((args, i) => {
        if (!Array.isArray(args)) throw new TypeError(`${path}.kwargs.it.${i} must be an argument list`);
      });
      return new Chunks(mapped(`${path}.kwargs.task`), items as unknown[][], n, options);
    }
    default:
      return new Signature(wire.task, wire.args ?? [], kwargs, options, wire.immutable === true);
  }
}

function headerGroup(node: CanvasSignature): CanvasSignature[] {
  return node instanceof Group ? [...node.tasks] : [node];
}

function listOf(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${path} must be a list`);
  return value;
}

function convertOptions(options: Record<string, unknown>, seen: WeakSet<object>, path: string): WireOptions {
  const out: WireOptions = { ...options };
  for (const name of ["link", "link_error"] as const) {
    const callbacks = options[name];
    if (callbacks === undefined || callbacks === null) {
      delete out[name];
      continue;
    }
    const items: unknown[] = Array.isArray(callbacks) ? callbacks : [callbacks];
    out[name] = items.map((cb, i) => convert(cb, seen, `${path}.${name}.${i}`));
  }
  return out;
}
