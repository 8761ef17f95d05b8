// Unit tests of src/runtime/pack.ts: leased tasks packed into Queue messages and sendBatch calls,
// sized in the UTF-8 bytes of exactly what is sent.
import { describe, expect, it } from "vitest";
import { QUEUE_BATCH_MAX, QUEUE_BODY_MAX_BYTES, QUEUE_MESSAGE_METADATA_BYTES, QUEUE_SEND_BATCH_MAX_BYTES, SQL_BATCHED_ROW_MAX_CHARS } from "../../src/protocol/index.js";
import { insertBatches, jsonSlices, jsonStringBytes, leasedTaskBytes, planDeliveries, sendBatches } from "../../src/runtime/pack.js";
import type { DeliveryBody, TaskMessage, WireLeasedTask } from "../../src/protocol/message.js";
import { message } from "../brokers/conformance.js";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

function leased(id: string, args: unknown[] = []): WireLeasedTask {
  // A whole message, as the planner writes one; the lease as the dispatcher makes one.
  const m = message("q", "demo.identity", args, { id });
  return { lease: `${crypto.randomUUID()}:${id.length}`, deadline: 1_700_000_000_000, redelivered: false, body: JSON.stringify(m) };
}
const idOf = (t: WireLeasedTask) => (JSON.parse(t.body) as TaskMessage).id;
const ids = (bodies: DeliveryBody[]) => bodies.flatMap((b) => b.tasks.map(idOf));
/** What sendBatch sends for a delivery body (contentType json): its JSON, in UTF-8. */
const sent = (b: DeliveryBody) => utf8(JSON.stringify(b));

describe("jsonStringBytes", () => {
  it("equals the UTF-8 bytes of JSON.stringify for hostile strings", () => {
    const cases = [
      "",
      "plain ascii",
      '"'.repeat(50),
      "\\".repeat(33),
      "\b\t\n\f\r\u0000\u0001\u001f\u007f",
      "é".repeat(21),
      "€漢字",
      "😀 emoji 👍🏽",
      "\ud800 lone high",
      "lone low \udc00",
      "\udbff\udfff",
      "\u2028\u2029",
      JSON.stringify({ args: [["ab", 'q"uote', "back\\slash", "é"]] }),
    ];
    for (const s of cases) expect(jsonStringBytes(s)).toBe(utf8(JSON.stringify(s)));
  });

  it("leasedTaskBytes and a delivery's bytes are exactly what JSON.stringify sends", () => {
    const tasks = [leased("a", [["ab"]]), { ...leased("b", ['"'.repeat(10), "é"]), redelivered: true }];
    const plan = planDeliveries("q.name:1", tasks);
    expect(plan.deliveries).toHaveLength(1);
    const d = plan.deliveries[0]!;
    expect(d.bytes).toBe(sent(d.body));
    for (const t of tasks) expect(leasedTaskBytes(t)).toBe(utf8(JSON.stringify(t)));
  });

  it("a delivery that names its QueueDO (a shard) counts the object's bytes too", () => {
    const object = "ab".repeat(32);
    const tasks = [leased("a", [["é"]]), leased("b")];
    const { deliveries } = planDeliveries("q.name:1", tasks, 100, object);
    expect(deliveries).toHaveLength(1);
    const d = deliveries[0]!;
    expect(d.body.object).toBe(object);
    expect(d.bytes).toBe(sent(d.body));
  });
});

describe("planDeliveries", () => {
  it("nothing → no deliveries", () => {
    expect(planDeliveries("q", [])).toStrictEqual({ deliveries: [], tooBig: [] });
  });

  it("small tasks: at most 100 per delivery, order preserved, queue named", () => {
    const input = Array.from({ length: 250 }, (_, i) => leased(`t${i}`));
    const { deliveries } = planDeliveries("q", input);
    expect(deliveries.map((d) => d.body.tasks.length)).toStrictEqual([QUEUE_BATCH_MAX, QUEUE_BATCH_MAX, 50]);
    expect(deliveries.every((d) => d.body.queue === "q")).toBe(true);
    expect(ids(deliveries.map((d) => d.body))).toStrictEqual(input.map(idOf));
  });

  it("prefetch bounds the tasks per delivery", () => {
    const input = Array.from({ length: 7 }, (_, i) => leased(`t${i}`));
    expect(planDeliveries("q", input, 1).deliveries.map((d) => d.body.tasks.length)).toStrictEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(planDeliveries("q", input, 3).deliveries.map((d) => d.body.tasks.length)).toStrictEqual([3, 3, 1]);
  });

  it("100 tasks of args [['ab'] * 150] (153 KB once escaped) are split, each delivery within the limit", () => {
    const input = Array.from({ length: 100 }, (_, i) => leased(`t${i}`, [Array(150).fill("ab")]));
    const total = input.reduce((n, t) => n + utf8(JSON.stringify(t)), 0);
    expect(total).toBeGreaterThan(QUEUE_BODY_MAX_BYTES);
    const { deliveries, tooBig } = planDeliveries("q", input);
    expect(tooBig).toStrictEqual([]);
    expect(deliveries.length).toBeGreaterThan(1);
    for (const d of deliveries) {
      expect(d.bytes).toBe(sent(d.body));
      expect(d.bytes).toBeLessThanOrEqual(QUEUE_BODY_MAX_BYTES);
    }
    // Each delivery is full: the next task would not have fit.
    for (const [i, d] of deliveries.slice(0, -1).entries()) {
      const next = deliveries[i + 1]!.body.tasks[0]!;
      expect(sent({ ...d.body, tasks: [...d.body.tasks, next] })).toBeGreaterThan(QUEUE_BODY_MAX_BYTES);
    }
    expect(ids(deliveries.map((d) => d.body))).toStrictEqual(input.map(idOf));
  });

  it('counts quotes and non-ASCII as sent: three tasks of 21,500 "é" are split; 36,000 `"` cannot fit alone', () => {
    const accents = [0, 1, 2].map((i) => leased(`e${i}`, ["é".repeat(21_500)]));
    // Each under the limit alone (43 KB), 129 KB together.
    const { deliveries, tooBig } = planDeliveries("q", accents);
    expect(tooBig).toStrictEqual([]);
    expect(deliveries.length).toBe(2);
    for (const d of deliveries) {
      expect(d.bytes).toBe(sent(d.body));
      expect(d.bytes).toBeLessThanOrEqual(QUEUE_BODY_MAX_BYTES);
    }
    expect(ids(deliveries.map((d) => d.body))).toStrictEqual(["e0", "e1", "e2"]);
    // 36,000 characters, 72,000 in the message's JSON, 144,000 once embedded as a JSON string.
    const quotes = leased("quotes", ['"'.repeat(36_000)]);
    const alone = planDeliveries("q", [quotes]);
    expect(alone.deliveries).toStrictEqual([]);
    expect(alone.tooBig[0]!.bytes).toBe(sent({ queue: "q", tasks: [quotes] }));
  });

  it("a task that cannot fit alone is set apart; the others go, in order", () => {
    const big = leased("big", ['"'.repeat(QUEUE_BODY_MAX_BYTES / 2)]);
    const { deliveries, tooBig } = planDeliveries("q", [leased("t0"), big, leased("after")]);
    expect(tooBig.map((t) => idOf(t.task))).toStrictEqual(["big"]);
    expect(tooBig[0]!.bytes).toBeGreaterThan(QUEUE_BODY_MAX_BYTES);
    expect(ids(deliveries.map((d) => d.body))).toStrictEqual(["t0", "after"]);
  });
});

describe("sendBatches", () => {
  const sized = (i: number, bytes: number) => ({ id: i, bytes });

  it("nothing → no batches", () => {
    expect(sendBatches([])).toStrictEqual([]);
  });

  it("at most 100 messages per call, order preserved", () => {
    const messages = Array.from({ length: 205 }, (_, i) => sized(i, 100));
    const batches = sendBatches(messages);
    expect(batches.map((b) => b.length)).toStrictEqual([100, 100, 5]);
    expect(batches.flat()).toStrictEqual(messages);
  });

  it("at most 256,000 bytes per call, metadata counted", () => {
    const sizes = [QUEUE_BODY_MAX_BYTES, 5_000, QUEUE_BODY_MAX_BYTES, QUEUE_BODY_MAX_BYTES, 1];
    const messages = sizes.map((b, i) => sized(i, b));
    const batches = sendBatches(messages);
    for (const b of batches) expect(b.reduce((s, m) => s + m.bytes + QUEUE_MESSAGE_METADATA_BYTES, 0)).toBeLessThanOrEqual(QUEUE_SEND_BATCH_MAX_BYTES);
    expect(batches.map((b) => b.length)).toStrictEqual([2, 2, 1]);
    expect(batches.flat()).toStrictEqual(messages);
  });
});

describe("jsonSlices", () => {
  it("keeps order, stays within the budget, and every slice parses back", () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ i, pad: "x".repeat(i * 3) }));
    const slices = jsonSlices(items, 400);
    expect(slices.length).toBeGreaterThan(1);
    for (const s of slices) expect(s.length).toBeLessThanOrEqual(400);
    expect(slices.flatMap((s) => JSON.parse(s) as unknown[])).toStrictEqual(items);
  });

  it("the budget is in UTF-8 bytes, not characters: multi-byte text is cut three times as often (1M characters of '€' were one 3 MB slice, past SQLite's 2 MB)", () => {
    const items = Array.from({ length: 30 }, () => "€".repeat(100));
    const slices = jsonSlices(items, 1000);
    expect(slices.length).toBeGreaterThanOrEqual(9);
    for (const s of slices) expect(new TextEncoder().encode(s).length).toBeLessThanOrEqual(1000);
    expect(slices.flatMap((s) => JSON.parse(s) as unknown[])).toStrictEqual(items);
  });

  it("an item larger than the budget goes alone; no items → no slices", () => {
    expect(jsonSlices([{ big: "y".repeat(100) }, 1], 50).map((s) => JSON.parse(s))).toStrictEqual([[{ big: "y".repeat(100) }], [1]]);
    expect(jsonSlices([], 50)).toStrictEqual([]);
  });

  it("cuts where joining each item's JSON would, for any budget (the whole list when it fits)", () => {
    // The slicing by separately encoded items, joined: what jsonSlices returned before it encoded
    // slices whole; sizes in UTF-8 bytes (TextEncoder), the budget's unit.
    const bytes = (text: string) => new TextEncoder().encode(text).length;
    const joined = (items: unknown[], budget: number): string[] => {
      const out: string[] = [];
      let parts: string[] = [];
      let size = 2;
      for (const item of items) {
        const text = JSON.stringify(item);
        if (parts.length > 0 && size + bytes(text) + 1 > budget) {
          out.push(`[${parts.join(",")}]`);
          parts = [];
          size = 2;
        }
        parts.push(text);
        size += bytes(text) + 1;
      }
      if (parts.length > 0) out.push(`[${parts.join(",")}]`);
      return out;
    };
    const items = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? ["a\"\u00e9", i, null] : { i, pad: "x".repeat((i * 7) % 23) }));
    const whole = bytes(JSON.stringify(items));
    const budgets = [...Array.from({ length: Math.ceil(whole / 7) }, (_, i) => 1 + i * 7), whole - 1, whole, whole + 1, whole + 2];
    for (const budget of budgets) {
      expect(jsonSlices(items, budget), `budget ${budget}`).toStrictEqual(joined(items, budget));
    }
  });
});

describe("insertBatches", () => {
  it("batches rows up to SQL_BATCHED_ROW_MAX_CHARS in order, and sets longer ones apart, as their values", () => {
    const rows = [
      { id: "a", text: "x".repeat(10) },
      { id: "b", text: "y".repeat(SQL_BATCHED_ROW_MAX_CHARS + 1) },
      { id: "c", text: "é".repeat(SQL_BATCHED_ROW_MAX_CHARS) },
      { id: "d", text: "" },
    ];
    const { slices, alone } = insertBatches(rows, (r) => r.text.length, (r) => [r.id, r.text]);
    expect(slices.flatMap((s) => JSON.parse(s) as unknown[][]).map((v) => v[0])).toEqual(["a", "c", "d"]);
    expect(alone).toEqual([["b", rows[1]!.text]]);
    expect(insertBatches([], () => 0, () => [])).toEqual({ slices: [], alone: [] });
  });
});
