// Unit tests of src/app/queue-config.ts: the per-queue layout (shards, locationHint) of an app,
// checked when the app is built, hostile values refused with the queue named.
import { describe, expect, it } from "vitest";
import { App } from "../../src/app/app.js";
import { compileQueueConfigs, type QueueConfig } from "../../src/app/queue-config.js";
import { MAX_QUEUE_SHARDS } from "../../src/protocol/index.js";
import { isDeliveryBody } from "../../src/protocol/message.js";

describe("queue config", () => {
  it("resolves shards and locationHint; an unnamed queue has one shard and no hint", () => {
    const app = new App({ name: "t", queues: { default: { shards: 16, locationHint: "weur" }, mail: {} } });
    expect(app.queueLayout("default")).toStrictEqual({ shards: 16, locationHint: "weur" });
    expect(app.queueLayout("mail")).toStrictEqual({ shards: 1 });
    expect(app.queueLayout("other")).toStrictEqual({ shards: 1 });
    // A configured queue is known before any task is sent (listing, metrics, revoke).
    expect(app.routedQueues()).toEqual(expect.arrayContaining(["default", "mail"]));
  });

  it("refuses hostile layouts, naming the queue", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ q: { shards: 0 } }, /queue 'q': shards must be an integer from 1/],
      [{ q: { shards: MAX_QUEUE_SHARDS + 1 } }, /shards must be an integer/],
      [{ q: { shards: 2.5 } }, /shards must be an integer/],
      [{ q: { shards: "4" } }, /shards must be an integer/],
      [{ q: { shards: Number.NaN } }, /shards must be an integer/],
      [{ q: { locationHint: "mars" } }, /locationHint must be one of wnam/],
      [{ q: { shard: 4 } }, /unknown setting\(s\) shard/],
      [{ q: null }, /config must be an object/],
      [{ "a#1": { shards: 2 } }, /queue 'a#1': not a queue name/],
      [{ "": {} }, /not a queue name/],
    ];
    for (const [queues, message] of bad) {
      expect(() => compileQueueConfigs(queues as Record<string, QueueConfig>)).toThrow(message);
      expect(() => new App({ name: "t", queues: queues as Record<string, QueueConfig> })).toThrow(message);
    }
    expect(compileQueueConfigs({ q: { shards: MAX_QUEUE_SHARDS } }).get("q")).toStrictEqual({ shards: MAX_QUEUE_SHARDS });
  });

  it("a delivery may name its QueueDO by id (64 hex digits), nothing else", () => {
    const task = { lease: "l:1", deadline: 1, redelivered: false, body: "{}" };
    expect(isDeliveryBody({ queue: "q", tasks: [task] })).toBe(true);
    expect(isDeliveryBody({ queue: "q", object: "0f".repeat(32), tasks: [task] })).toBe(true);
    for (const object of ["", "xyz", "0F".repeat(32), "0f".repeat(33), 12, null]) expect(isDeliveryBody({ queue: "q", object, tasks: [task] })).toBe(false);
  });

  it("a delivery may say when its QueueDO began it (`begun`, epoch ms: a direct hand-off), a finite number only", () => {
    const task = { lease: "l:1", deadline: 1, redelivered: false, body: "{}" };
    expect(isDeliveryBody({ queue: "q", tasks: [task], begun: 1_767_225_600_000 })).toBe(true);
    for (const begun of ["1", null, Number.NaN, Number.POSITIVE_INFINITY, true, {}]) expect(isDeliveryBody({ queue: "q", tasks: [task], begun })).toBe(false);
  });
});
