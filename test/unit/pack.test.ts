// Unit tests of src/runtime/pack.ts: leased tasks packed into Queue messages and sendBatch calls.
import { describe, expect, it } from "vitest";
import { QUEUE_BATCH_MAX, QUEUE_MESSAGE_BUDGET_BYTES } from "../../src/protocol/index.js";
import { jsonSlices, packDeliveries, sendBatches } from "../../src/runtime/pack.js";
import type { DeliveryBody, TaskMessage, WireLeasedTask } from "../../src/protocol/message.js";

function leased(id: string): WireLeasedTask {
  const message = { id, task: "demo.noop" } as TaskMessage;
  return { lease: `L-${id}`, deadline: 0, redelivered: false, body: JSON.stringify(message) };
}
const idOf = (t: WireLeasedTask) => (JSON.parse(t.body) as TaskMessage).id;
const items = (n: number, bytes: number | ((i: number) => number)) =>
  Array.from({ length: n }, (_, i) => ({ task: leased(`t${i}`), bytes: typeof bytes === "number" ? bytes : bytes(i) }));
const ids = (bodies: DeliveryBody[]) => bodies.flatMap((b) => b.tasks.map(idOf));

describe("packDeliveries", () => {
  it("nothing → no bodies", () => {
    expect(packDeliveries("q", [])).toStrictEqual([]);
  });

  it("small tasks: at most 100 per body, order preserved, queue named", () => {
    const input = items(250, 10);
    const bodies = packDeliveries("q", input);
    expect(bodies.map((b) => b.tasks.length)).toStrictEqual([QUEUE_BATCH_MAX, QUEUE_BATCH_MAX, 50]);
    expect(bodies.every((b) => b.queue === "q")).toBe(true);
    expect(ids(bodies)).toStrictEqual(input.map((i) => idOf(i.task)));
  });

  it("exactly 100 → one body", () => {
    expect(packDeliveries("q", items(100, 1)).map((b) => b.tasks.length)).toStrictEqual([100]);
  });

  it("large tasks: the byte budget splits bodies before 100", () => {
    const bytes = 30 * 1024;
    const input = items(10, bytes);
    const bodies = packDeliveries("q", input);
    expect(bodies.length).toBeGreaterThan(1);
    for (const b of bodies) expect(b.tasks.length * bytes).toBeLessThanOrEqual(QUEUE_MESSAGE_BUDGET_BYTES);
    // Each body is full: the next task would not have fit.
    for (const b of bodies.slice(0, -1)) expect((b.tasks.length + 1) * bytes).toBeGreaterThan(QUEUE_MESSAGE_BUDGET_BYTES - 64 * b.tasks.length);
    expect(ids(bodies)).toStrictEqual(input.map((i) => idOf(i.task)));
  });

  it("mixed sizes: every body within the budget, order preserved", () => {
    const sizes = (i: number) => [50_000, 10, 70_000, 20_000, 100, 119_000, 5][i % 7]!;
    const input = items(40, sizes);
    const bodies = packDeliveries("q", input);
    const byId = new Map(input.map((i) => [idOf(i.task), i.bytes]));
    for (const b of bodies) {
      const total = b.tasks.reduce((s, t) => s + byId.get(idOf(t))!, 0);
      expect(total).toBeLessThanOrEqual(QUEUE_MESSAGE_BUDGET_BYTES);
      expect(b.tasks.length).toBeLessThanOrEqual(QUEUE_BATCH_MAX);
    }
    expect(ids(bodies)).toStrictEqual(input.map((i) => idOf(i.task)));
  });

  it("a task over the budget still goes, alone", () => {
    const input = [...items(1, 10), { task: leased("big"), bytes: QUEUE_MESSAGE_BUDGET_BYTES + 1 }, ...items(1, 10).map((i) => ({ ...i, task: leased("after") }))];
    const bodies = packDeliveries("q", input);
    expect(bodies.map((b) => b.tasks.map(idOf))).toStrictEqual([["t0"], ["big"], ["after"]]);
  });
});

describe("sendBatches", () => {
  const body = (i: number): DeliveryBody => ({ queue: "q", tasks: [leased(`b${i}`)] });

  it("nothing → no batches", () => {
    expect(sendBatches([], [])).toStrictEqual([]);
  });

  it("at most 100 bodies per call, order preserved", () => {
    const bodies = Array.from({ length: 205 }, (_, i) => body(i));
    const batches = sendBatches(bodies, bodies.map(() => 100));
    expect(batches.map((b) => b.length)).toStrictEqual([100, 100, 5]);
    expect(batches.flat()).toStrictEqual(bodies);
  });

  it("at most ~250 KB per call", () => {
    const bodies = Array.from({ length: 5 }, (_, i) => body(i));
    const sizes = [120 * 1024, 120 * 1024, 120 * 1024, 5 * 1024, 120 * 1024];
    const batches = sendBatches(bodies, sizes);
    expect(batches.map((b) => b.length)).toStrictEqual([2, 3]);
    let k = 0;
    for (const b of batches) {
      const total = b.reduce((s) => s + sizes[k++]!, 0);
      expect(total).toBeLessThanOrEqual(250 * 1024);
    }
    expect(batches.flat()).toStrictEqual(bodies);
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

  it("an item larger than the budget goes alone; no items → no slices", () => {
    expect(jsonSlices([{ big: "y".repeat(100) }, 1], 50).map((s) => JSON.parse(s))).toStrictEqual([[{ big: "y".repeat(100) }], [1]]);
    expect(jsonSlices([], 50)).toStrictEqual([]);
  });
});
