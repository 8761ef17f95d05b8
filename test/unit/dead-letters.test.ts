import { describe, expect, it } from "vitest";
import { boundFor, decodeCursor, encodeCursor } from "../../src/dead-letters/cursor";
import { signatureOf } from "../../src/dead-letters/signature";
import { parseSignature, WireError } from "../../src/protocol";
import type { TaskMessage } from "../../src/protocol/message";

describe("dead-letter cursor", () => {
  it("round-trips, unicode queue names included, as base64url", () => {
    for (const c of [{ failedAt: 1_795_552_365_747, queue: "default", seq: 2 }, { failedAt: 0, queue: "q:é-ü_.", seq: 9_007_199_254_740_991 }]) {
      const s = encodeCursor(c);
      expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(s)).toEqual(c);
    }
  });

  it.each(["%%%", "", "bm90LWEtY3Vyc29y", "W10", "WzEsMiwzXQ", "eyJhIjoxfQ", "WzEuNSwicSIsMV0", "x".repeat(700)])("rejects %s with invalid_request at cursor", (s) => {
    try {
      decodeCursor(s);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
      expect((err as WireError).toJSON().error).toMatchObject({ code: "invalid_request", path: "cursor" });
    }
  });

  it("reads a cursor with its base64 = padding as without it", () => {
    for (const c of [{ failedAt: 1_795_552_365_747, queue: "default", seq: 2 }, { failedAt: 5, queue: "default", seq: 1 }, { failedAt: 0, queue: "q:é-ü_.", seq: 12 }]) {
      const s = encodeCursor(c);
      const padded = s + "=".repeat((4 - (s.length % 4)) % 4);
      expect(padded.length % 4).toBe(0);
      expect(decodeCursor(padded)).toEqual(c);
    }
    // Cursors needing "=" and "==": both paddings are read.
    const pads = new Set<number>();
    for (const n of [1, 2, 3]) {
      const c = { failedAt: 5, queue: "d".repeat(n), seq: 1 };
      const s = encodeCursor(c);
      const pad = (4 - (s.length % 4)) % 4;
      pads.add(pad);
      expect(decodeCursor(s + "=".repeat(pad))).toEqual(c);
    }
    expect(pads).toContain(1);
    expect(pads).toContain(2);
  });

  it.each([
    ["W10=", "padded, not a cursor"],
    [`${encodeCursor({ failedAt: 5, queue: "d", seq: 1 })}===`, "too much padding"],
    [`${encodeCursor({ failedAt: 5, queue: "dd", seq: 1 })}=`, "padding that does not fit the length"],
    ["WzEs=ImRlZmF1bHQiLDFd", "padding inside"],
    ["WzEsImRlZmF1bHQiLDFd+/", "the base64 alphabet's + and /"],
    ["/w", "bytes that are not UTF-8"],
  ])("still rejects %s (%s)", (s) => {
    expect(() => decodeCursor(s)).toThrowError(WireError);
  });

  it("bounds each queue's page for a merge in (failed_at, queue, seq) descending order", () => {
    const c = { failedAt: 100, queue: "m", seq: 7 };
    expect(boundFor("m", c)).toEqual({ at: 100, seq: 7 });
    expect(boundFor("a", c)).toEqual({ at: 100, seq: Number.MAX_SAFE_INTEGER });
    expect(boundFor("z", c)).toEqual({ at: 100, seq: 0 });
    expect(boundFor("m", null)).toEqual({ at: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER });
  });
});

describe("signatureOf", () => {
  const base: TaskMessage = {
    id: "t1", task: "demo.fail", args: ["x", 1], kwargs: { k: true }, queue: "math", priority: 7, eta: 123, expires: 456, retries: 3,
    options: { max_retries: 0, time_limit: 5, ignore_result: undefined }, stamps: { tenant: "a" }, parent_id: "p", root_id: "r",
    group_id: "g", group_index: 0, chain: [], chord: null,
    link: [parseSignature({ task: "demo.noop" })], link_error: [],
  };

  it("rebuilds the call as a wire signature without id, eta, expires or group", () => {
    const s = signatureOf(base);
    expect(s).toEqual({
      task: "demo.fail",
      args: ["x", 1],
      kwargs: { k: true },
      options: { queue: "math", priority: 7, max_retries: 0, time_limit: 5, stamps: { tenant: "a" }, link: [expect.objectContaining({ task: "demo.noop" })] },
      subtask_type: null,
      immutable: false,
    });
    const again = parseSignature(s);
    expect(again).toMatchObject({ kind: "task", name: "demo.fail", args: ["x", 1], options: { queue: "math", priority: 7 } });
  });

  it("leaves out the ids the first apply planned for its callbacks, at every depth: a replay's errback ran under the first errback's id (its result dropped, or the errback taken as a resend)", () => {
    const planned: TaskMessage = {
      ...base,
      link: [parseSignature({ task: "demo.noop", options: { task_id: "cb-1", link: [{ task: "demo.noop", options: { task_id: "cb-1-1" } }] } })],
      link_error: [
        parseSignature({ task: "celery.chord", kwargs: { header: [{ task: "demo.identity", options: { task_id: "h-1" } }], body: { task: "demo.xsum", options: { task_id: "b-1" } } }, options: { chord_id: "c-1" }, subtask_type: "chord" }),
        parseSignature({ task: "celery.chain", kwargs: { tasks: [{ task: "demo.echo", options: { task_id: "s-1", queue: "q" } }] }, options: { task_id: "ch-1" }, subtask_type: "chain" }),
      ],
    };
    const s = signatureOf(planned);
    expect(JSON.stringify(s)).not.toMatch(/"(task_id|chord_id)"/);
    // Everything else is kept, and the replay parses.
    const again = parseSignature(s);
    expect(again.options.link?.[0]?.options.link?.[0]).toMatchObject({ kind: "task", name: "demo.noop" });
    expect(again.options.link_error?.[1]).toMatchObject({ kind: "chain", tasks: [{ name: "demo.echo", options: { queue: "q" } }] });
  });

  it("leaves out the queue's rate slot, which no signature may carry: the replay parses", () => {
    const limited: TaskMessage = { ...base, options: { rate_limit: "1/s", rate_slot: 1_700_000_000_000 } };
    const s = signatureOf(limited);
    expect(s.options).not.toHaveProperty("rate_slot");
    expect(parseSignature(s).options.rate_limit).toBe("1/s");
  });
});
