/**
 * Per-queue layout, set in the app's config and so known to every Worker that builds the app:
 * how many QueueDO shards a queue spreads over, and where Cloudflare should place them. Pure:
 * checked when the app is built, no bindings here.
 *
 * ```ts
 * new App({ name: "shop", queues: { default: { shards: 16, locationHint: "weur" } } });
 * ```
 */
import { MAX_QUEUE_SHARDS, QUEUE_NAME } from "../protocol/index.js";

/** Cloudflare's Durable Object location hints (`locationHint` of `namespace.get`). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
/** One of {@link LOCATION_HINTS}. */
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** One queue's layout as the app configures it. */
export interface QueueConfig {
  /**
   * How many QueueDO shards the queue spreads over (1 to MAX_QUEUE_SHARDS; default 1). A task
   * goes to the shard its id hashes to; concurrency and max_waiting are split evenly over them.
   */
  shards?: number;
  /**
   * Where Cloudflare should create the queue's objects (its shards), e.g. `"weur"`: near the
   * Workers that feed and consume it. A hint, used only when an object is first created.
   */
  locationHint?: LocationHint;
}

/** A queue's resolved layout. */
export interface QueueLayout {
  shards: number;
  locationHint?: LocationHint;
}

/** The layout of a queue the config does not name: one object, placed where it is first used. */
export const SINGLE_SHARD: QueueLayout = Object.freeze({ shards: 1 });

/**
 * Checks the queues' config and resolves each to its layout.
 * @throws Error naming the queue: a bad queue name, a shard count that is not an integer in
 * 1..MAX_QUEUE_SHARDS, an unknown location hint, or an unknown key.
 */
export function compileQueueConfigs(queues: Record<string, QueueConfig>): Map<string, QueueLayout> {
  const out = new Map<string, QueueLayout>();
  for (const [name, config] of Object.entries(queues)) {
    const where = `edgery: queue '${name}'`;
    if (!QUEUE_NAME.test(name)) throw new Error(`${where}: not a queue name (letters, digits and . _ : - only)`);
    if (typeof config !== "object" || config === null) throw new Error(`${where}: its config must be an object`);
    const unknown = Object.keys(config).filter((k) => k !== "shards" && k !== "locationHint");
    if (unknown.length > 0) throw new Error(`${where}: unknown setting(s) ${unknown.join(", ")} (known: shards, locationHint)`);
    const shards = config.shards ?? 1;
    if (!Number.isInteger(shards) || shards < 1 || shards > MAX_QUEUE_SHARDS) {
      throw new Error(`${where}: shards must be an integer from 1 to ${MAX_QUEUE_SHARDS}, not ${String(config.shards)}`);
    }
    const hint = config.locationHint;
    if (hint !== undefined && !(LOCATION_HINTS as readonly string[]).includes(hint)) {
      throw new Error(`${where}: locationHint must be one of ${LOCATION_HINTS.join(", ")}, not ${JSON.stringify(hint)}`);
    }
    out.set(name, hint === undefined ? { shards } : { shards, locationHint: hint });
  }
  return out;
}
