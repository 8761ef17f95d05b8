// Unit tests of the encoding a delivery goes onto the Queue with (src/runtime/pack.ts
// deliveryEncoding) and of sendDeliveries (src/runtime/deliver.ts), which sends each delivery so.
// V8's own serializer (node:v8, the one workerd uses for structured clone) checks the size bound.
import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { QUEUE_BODY_MAX_BYTES, QUEUE_SEND_BATCH_MAX_BYTES, QUEUE_MESSAGE_METADATA_BYTES } from "../../src/protocol/index.js";
import { deliveryEncoding, planDeliveries, v8SlackBytes, type SizedDelivery } from "../../src/runtime/pack.js";
import { sendDeliveries } from "../../src/runtime/deliver.js";
import type { DeliveryBody, WireLeasedTask } from "../../src/protocol/message.js";
import { message } from "../brokers/conformance.js";

const utf8 = (s: string) => new TextEncoder().encode(s).length;
const OBJECT = "d4265e973d4b3bc9c65d8ad3a876968609de3c4abd214bd365208a080e695599";

function task(body: string, deadline = 1_796_084_114_785, lease = `${crypto.randomUUID()}:12345`): WireLeasedTask {
  return { lease, deadline, redelivered: false, body };
}
const realBody = (args: unknown[] = []) => JSON.stringify(message("q", "demo.identity", args, { id: crypto.randomUUID() }));
/** A delivery as dispatch sizes it: the UTF-8 bytes of its JSON. */
function sized(tasks: WireLeasedTask[], queue = "default", object: string | undefined = OBJECT): SizedDelivery {
  const body: DeliveryBody = object === undefined ? { queue, tasks } : { queue, object, tasks };
  return { body, bytes: utf8(JSON.stringify(body)) };
}

describe("deliveryEncoding", () => {
  it("sends an all-ASCII delivery as V8, bounded from above by its JSON bytes plus the slack", () => {
    const cases: SizedDelivery[] = [
      sized([task(realBody())]),
      sized(Array.from({ length: 100 }, () => task(realBody([1, "two", { three: [3] }])))),
      sized([task(realBody())], "q", undefined),
      // Hostile for the bound: strings without a character JSON escapes, long enough for a
      // 3-byte length, the smallest numbers, the shortest leases.
      sized([task("x".repeat(20_000), 0, "a:1")], "q", undefined),
      sized(Array.from({ length: 100 }, (_, i) => task("y".repeat(1_000), i, `t:${i}`))),
      sized([task("z".repeat(QUEUE_BODY_MAX_BYTES - 200), 1, "a:1")], "q", undefined),
    ];
    for (const d of cases) {
      const enc = deliveryEncoding(d);
      expect(enc.contentType).toBe("v8");
      expect(enc.bytes).toBe(d.bytes + v8SlackBytes(d.body.tasks.length));
      expect(serialize(d.body).length).toBeLessThanOrEqual(enc.bytes);
      expect(enc.bytes).toBeLessThanOrEqual(QUEUE_BODY_MAX_BYTES);
    }
  });

  it("is smaller as V8 than as JSON for real task messages", () => {
    const d = sized(Array.from({ length: 100 }, () => task(realBody(["a \"quoted\" arg", { k: "v" }]))));
    expect(serialize(d.body).length).toBeLessThan(d.bytes);
  });

  it("sends JSON, sized exactly, when any string is not ASCII", () => {
    const cases: SizedDelivery[] = [
      sized([task(realBody()), task(realBody(["é"]))]),
      sized([task(realBody(["漢字 😀"]))]),
      sized([task(realBody(["\u0080"]))]),
      sized([task(realBody())], "quéue"),
      sized([task(realBody(), 1, "lease-ü:1")]),
    ];
    for (const d of cases) expect(deliveryEncoding(d)).toEqual({ contentType: "json", bytes: d.bytes });
  });

  it("sends JSON when the V8 bound would pass the Queue's limit, even for ASCII", () => {
    const big = sized([task("q".repeat(QUEUE_BODY_MAX_BYTES - 180), 1, "a:1")], "q", undefined);
    expect(big.bytes).toBeLessThanOrEqual(QUEUE_BODY_MAX_BYTES);
    expect(big.bytes + v8SlackBytes(1)).toBeGreaterThan(QUEUE_BODY_MAX_BYTES);
    expect(deliveryEncoding(big)).toEqual({ contentType: "json", bytes: big.bytes });
  });
});

describe("sendDeliveries", () => {
  function producer() {
    const calls: Array<Array<{ body: DeliveryBody; contentType?: string }>> = [];
    const q = {
      async send() {
        throw new Error("sendBatch only");
      },
      async sendBatch(messages: Array<{ body: DeliveryBody; contentType?: string }>) {
        calls.push(messages);
      },
    } as unknown as Queue<DeliveryBody>;
    return { q, calls };
  }

  it("sends each delivery with its own encoding, in order", async () => {
    const { q, calls } = producer();
    const deliveries = [sized([task(realBody())]), sized([task(realBody(["ñ"]))]), sized([task(realBody([1]))])];
    expect(await sendDeliveries(q, deliveries)).toBeNull();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((m) => m.contentType)).toEqual(["v8", "json", "v8"]);
    expect(calls[0]!.map((m) => m.body)).toEqual(deliveries.map((d) => d.body));
  });

  it("sizes sendBatch calls by what each delivery may take as sent", async () => {
    // Full deliveries of ASCII tasks as dispatch packs them: every call stays within the batch
    // limit counting each V8 message at its bound, and everything goes out once, in order.
    const tasks = Array.from({ length: 400 }, () => task(realBody(["p".repeat(1_200)])));
    const { deliveries } = planDeliveries("default", tasks, 100, OBJECT);
    const { q, calls } = producer();
    expect(await sendDeliveries(q, deliveries)).toBeNull();
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      const total = call.reduce((n, m) => n + serialize(m.body).length + QUEUE_MESSAGE_METADATA_BYTES, 0);
      expect(total).toBeLessThanOrEqual(QUEUE_SEND_BATCH_MAX_BYTES);
      expect(call.every((m) => m.contentType === "v8")).toBe(true);
    }
    expect(calls.flat().flatMap((m) => m.body.tasks.map((t) => t.lease))).toEqual(tasks.map((t) => t.lease));
  });

  it("reports the failed call's tasks and every later call's as unsent", async () => {
    let n = 0;
    const q = {
      async sendBatch() {
        n += 1;
        if (n === 2) throw new Error("Queue send failed");
      },
    } as unknown as Queue<DeliveryBody>;
    const tasks = Array.from({ length: 400 }, () => task(realBody(["p".repeat(1_200)])));
    const { deliveries } = planDeliveries("default", tasks, 100, OBJECT);
    const unsent = await sendDeliveries(q, deliveries);
    expect(unsent).not.toBeNull();
    expect(n).toBe(2);
    const firstCall = tasks.length - unsent!.tasks.length;
    expect(firstCall).toBeGreaterThan(0);
    expect(unsent!.tasks.map((t) => t.lease)).toEqual(tasks.slice(firstCall).map((t) => t.lease));
  });
});
