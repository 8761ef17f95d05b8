// Contract: POST /v1/apply/bulk — 1 to 1000 signatures, handles in order, all or none accepted.
import { describe, expect, it } from "vitest";
import {
  api,
  describeRes,
  expectAllPending,
  expectError,
  expectQueueEmpty,
  group,
  pausedQueue,
  putQueue,
  queueStats,
  sig,
  uniqId,
  uniqQueue,
  waitGroup,
  waitQueue,
  waitResult,
  type Handle,
} from "./helpers";

async function bulk(signatures: unknown[]): Promise<Handle[]> {
  const res = await api<{ handles: Handle[] }>("POST", "/v1/apply/bulk", { signatures });
  expect(res.status, describeRes(res)).toBe(202);
  expect(Array.isArray(res.json?.handles), describeRes(res)).toBe(true);
  return res.json.handles;
}

describe("POST /v1/apply/bulk", () => {
  it("one signature → one handle", async () => {
    const handles = await bulk([{ task: "demo.add", args: [1, 2] }]);
    expect(handles).toHaveLength(1);
    expect(handles[0]!.kind).toBe("task");
    expect((await waitResult(handles[0]!.id)).result).toBe(3);
  });

  it("handles come back in signature order", async () => {
    const handles = await bulk([0, 1, 2, 3, 4].map((i) => sig("demo.identity", [i])));
    expect(handles).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect((await waitResult(handles[i]!.id)).result).toBe(i);
  });

  it("1000 signatures → 1000 handles in order, all run", async () => {
    const q = uniqQueue();
    const ids = Array.from({ length: 1000 }, () => uniqId());
    const handles = await bulk(ids.map((task_id, i) => sig("demo.identity", [i], { queue: q, task_id })));
    expect(handles).toHaveLength(1000);
    expect(handles.map((h) => h.id)).toEqual(ids);
    expect(handles.every((h) => h.kind === "task")).toBe(true);
    await waitQueue(q, (s) => s.completed >= 1000, { timeoutMs: 55_000, intervalMs: 250 });
    for (const i of [0, 1, 499, 998, 999]) {
      const r = await waitResult(ids[i]!);
      expect(r.state).toBe("SUCCESS");
      expect(r.result).toBe(i);
      expect(r.queue).toBe(q);
    }
  });

  it("without explicit ids every handle id is distinct", async () => {
    const handles = await bulk(Array.from({ length: 50 }, () => sig("demo.noop")));
    expect(new Set(handles.map((h) => h.id)).size).toBe(50);
  });

  it("accepts canvas signatures among plain ones", async () => {
    const handles = await bulk([sig("demo.add", [1, 1]), group([sig("demo.add", [2, 2]), sig("demo.add", [3, 3])])]);
    expect(handles).toHaveLength(2);
    expect(handles[0]!.kind).toBe("task");
    expect(handles[1]!.kind).toBe("group");
    expect((await waitResult(handles[0]!.id)).result).toBe(2);
    expect((await waitGroup(handles[1]!.id)).results.map((r) => r.result)).toEqual([4, 6]);
  });
});

describe("bulk is all or none", () => {
  async function setup() {
    const q = await pausedQueue();
    const ids = [uniqId(), uniqId(), uniqId()];
    const before = await queueStats(q);
    return { q, ids, before };
  }
  async function expectNothingEnqueued(q: string, ids: string[], before: { completed: number; failed: number }) {
    await expectAllPending(ids);
    await expectQueueEmpty(q);
    const after = await queueStats(q);
    expect(after.completed).toBe(before.completed);
    expect(after.failed).toBe(before.failed);
  }

  it("one invalid signature among good ones → 422 invalid_signature with its path, none enqueued", async () => {
    const { q, ids, before } = await setup();
    const signatures = [
      sig("demo.identity", [1], { queue: q, task_id: ids[0] }),
      sig("demo.identity", [2], { queue: q, task_id: ids[1] }),
      sig("demo.identity", [3], { queue: q, priority: 10 }),
      sig("demo.identity", [4], { queue: q, task_id: ids[2] }),
    ];
    const res = await api("POST", "/v1/apply/bulk", { signatures });
    expectError(res, 422, "invalid_signature", "signatures.2.options.priority");
    await expectNothingEnqueued(q, ids, before);

    // The ids were not used up: the same good signatures go through afterwards.
    await putQueue(q, { paused: false });
    const handles = await bulk([signatures[0], signatures[1], signatures[3]]);
    expect(handles.map((h) => h.id)).toEqual(ids);
    expect((await waitResult(ids[2]!)).result).toBe(4);
  });

  it("one unknown task among good ones → 422 unknown_task, none enqueued", async () => {
    const { q, ids, before } = await setup();
    const res = await api("POST", "/v1/apply/bulk", {
      signatures: [
        sig("demo.identity", [1], { queue: q, task_id: ids[0] }),
        sig("nope.not_registered", [], { queue: q }),
        sig("demo.identity", [2], { queue: q, task_id: ids[1] }),
        sig("demo.identity", [3], { queue: q, task_id: ids[2] }),
      ],
    });
    expectError(res, 422, "unknown_task");
    await expectNothingEnqueued(q, ids, before);
  });

  it("one message over 128 KB among good ones → 413, none enqueued", async () => {
    const { q, ids, before } = await setup();
    const res = await api("POST", "/v1/apply/bulk", {
      signatures: [
        sig("demo.identity", [1], { queue: q, task_id: ids[0] }),
        sig("demo.identity", [2], { queue: q, task_id: ids[1] }),
        sig("demo.identity", ["x".repeat(200 * 1024)], { queue: q }),
        sig("demo.identity", [3], { queue: q, task_id: ids[2] }),
      ],
    });
    expectError(res, 413, "payload_too_large");
    await expectNothingEnqueued(q, ids, before);
  });

  it("an invalid signature at the very end of 1000 → none of the 999 enqueued", async () => {
    const { q, before } = await setup();
    const ids = Array.from({ length: 999 }, () => uniqId());
    const signatures: unknown[] = ids.map((task_id) => sig("demo.noop", [], { queue: q, task_id }));
    signatures.push(sig("demo.noop", [], { queue: q, countdown: -1 }));
    const res = await api("POST", "/v1/apply/bulk", { signatures });
    expectError(res, 422, "invalid_signature", "signatures.999.options.countdown");
    await expectNothingEnqueued(q, [ids[0]!, ids[500]!, ids[998]!], before);
  });
});
