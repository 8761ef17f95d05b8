// Unit tests of src/worker/retry.ts: Celery's retry countdown, backoff with full jitter, max_retries.
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_DELAY_S } from "../../src/protocol/index.js";
import { Retry, autoretries, decideRetry, retryCountdown } from "../../src/worker/retry.js";
import { maxRetriesOf as maxRetriesIn, runSettingsOf } from "../../src/app/task-settings.js";
import { App, type TaskDefaults } from "../../src/app/app.js";

/** max_retries in force for a task with these defaults, a message option and a ctx.retry() one. */
function maxRetriesOf(defaults: TaskDefaults, messageMax: number | null | undefined, callMax: number | null | undefined): number | null {
  const app = new App({ name: "t" }).task("t", () => null, defaults);
  return maxRetriesIn(runSettingsOf(app, { task: "t", options: messageMax === undefined ? {} : { max_retries: messageMax } }), callMax);
}

const never = () => {
  throw new Error("random must not be called");
};

describe("retryCountdown", () => {
  it("an explicit countdown wins (negative → 0), even with backoff", () => {
    expect(retryCountdown({}, 0, 5, true, never)).toBe(5);
    expect(retryCountdown({ retry_backoff: true }, 3, 0, true, never)).toBe(0);
    expect(retryCountdown({}, 0, -4, true, never)).toBe(0);
  });

  it("without backoff: default_retry_delay, else Celery's 180 s", () => {
    expect(retryCountdown({}, 2, undefined, true, never)).toBe(DEFAULT_RETRY_DELAY_S);
    expect(DEFAULT_RETRY_DELAY_S).toBe(180);
    expect(retryCountdown({ default_retry_delay: 7 }, 2, undefined, true, never)).toBe(7);
  });

  it("backoff without jitter: factor * 2^retries", () => {
    const d = { retry_backoff: true, retry_jitter: false } as const;
    expect([0, 1, 2, 3, 4].map((r) => retryCountdown(d, r, undefined, true, never))).toStrictEqual([1, 2, 4, 8, 16]);
    expect([0, 1, 2].map((r) => retryCountdown({ retry_backoff: 3, retry_jitter: false }, r, undefined, true, never))).toStrictEqual([3, 6, 12]);
  });

  it("backoff is capped by retry_backoff_max (default 600)", () => {
    expect(retryCountdown({ retry_backoff: true, retry_jitter: false }, 20, undefined, true, never)).toBe(600);
    expect(retryCountdown({ retry_backoff: 5, retry_jitter: false, retry_backoff_max: 30 }, 3, undefined, true, never)).toBe(30);
  });

  it("full jitter (the default): floor(random * (value + 1)), in [0, value]", () => {
    const d = { retry_backoff: true };
    expect(retryCountdown(d, 3, undefined, true, () => 0)).toBe(0);
    expect(retryCountdown(d, 3, undefined, true, () => 0.5)).toBe(4);
    expect(retryCountdown(d, 3, undefined, true, () => 0.999999)).toBe(8);
    expect(retryCountdown({ ...d, retry_jitter: true, retry_backoff_max: 5 }, 10, undefined, true, () => 0.999999)).toBe(5);
  });

  it("a retry the task asks for (ctx.retry() without a countdown) waits default_retry_delay, not the backoff: backoff is autoretry_for's, as in Celery", () => {
    const d = { retry_backoff: 1, retry_jitter: false, default_retry_delay: 4 } as const;
    expect([0, 1, 2].map((r) => retryCountdown(d, r, undefined, false, never))).toStrictEqual([4, 4, 4]);
    expect([0, 1, 2].map((r) => retryCountdown(d, r, undefined, true, never))).toStrictEqual([1, 2, 4]);
    expect(retryCountdown({ retry_backoff: true }, 2, undefined, false, never)).toBe(DEFAULT_RETRY_DELAY_S);
  });

  it("the injected random is used, once", () => {
    let calls = 0;
    retryCountdown({ retry_backoff: 2 }, 1, undefined, true, () => {
      calls += 1;
      return 0.1;
    });
    expect(calls).toBe(1);
  });
});

describe("autoretries", () => {
  class Flaky extends Error {
    override name = "Flaky";
  }
  class VeryFlaky extends Flaky {
    override name = "VeryFlaky";
  }
  const info = (err: Error) => ({ type: err.name, message: err.message });

  it("matches the error's own name, and the classes it inherits from, as Celery's except matches subclasses", () => {
    const e = new VeryFlaky("x");
    expect(autoretries(["VeryFlaky"], e, info(e))).toBe(true);
    expect(autoretries(["Flaky"], e, info(e))).toBe(true);
    expect(autoretries(["Error"], e, info(e))).toBe(true);
    expect(autoretries(["Error"], new TypeError("t"), info(new TypeError("t")))).toBe(true);
    expect(autoretries(["RangeError"], new TypeError("t"), info(new TypeError("t")))).toBe(false);
    const f = new Flaky("y");
    expect(autoretries(["VeryFlaky"], f, info(f))).toBe(false);
  });

  it("'Exception' (Celery's base class) retries on anything thrown; nothing listed, on nothing", () => {
    expect(autoretries(["Exception"], "a string", { type: "Error", message: "a string" })).toBe(true);
    expect(autoretries(["Exception"], new TypeError("t"), info(new TypeError("t")))).toBe(true);
    expect(autoretries([], new Error("e"), info(new Error("e")))).toBe(false);
    expect(autoretries(undefined, new Error("e"), info(new Error("e")))).toBe(false);
  });

  it("a thrown value that is not an Error matches by its serialized type only", () => {
    expect(autoretries(["Error"], { name: "Custom" }, { type: "Custom", message: "" })).toBe(false);
    expect(autoretries(["Custom"], { name: "Custom" }, { type: "Custom", message: "" })).toBe(true);
  });
});

describe("maxRetriesOf", () => {
  it("the call's, else the message's, else the task's, else 3", () => {
    expect(maxRetriesOf({ max_retries: 5 }, 4, 1)).toBe(1);
    expect(maxRetriesOf({ max_retries: 5 }, 4, undefined)).toBe(4);
    expect(maxRetriesOf({ max_retries: 5 }, undefined, undefined)).toBe(5);
    expect(maxRetriesOf({}, undefined, undefined)).toBe(DEFAULT_MAX_RETRIES);
    expect(DEFAULT_MAX_RETRIES).toBe(3);
  });

  it("null means no cap, at every level", () => {
    expect(maxRetriesOf({ max_retries: 5 }, 4, null)).toBeNull();
    expect(maxRetriesOf({ max_retries: 5 }, null, undefined)).toBeNull();
    expect(maxRetriesOf({ max_retries: null }, undefined, undefined)).toBeNull();
    expect(maxRetriesOf({}, undefined, 0)).toBe(0);
  });
});

describe("decideRetry", () => {
  const base = { task: "demo.x", id: "ID", countdownS: 4, exc: null };

  it("within max_retries → retry after the countdown", () => {
    expect(decideRetry({ ...base, retries: 2, maxRetries: 3 })).toStrictEqual({ kind: "retry", countdownS: 4, error: { type: "Retry", message: "Retry in 4s" } });
    const exc = { type: "IOError", message: "flaky" };
    expect(decideRetry({ ...base, retries: 0, maxRetries: 3, exc })).toStrictEqual({ kind: "retry", countdownS: 4, error: exc });
  });

  it("no cap → always retry", () => {
    expect(decideRetry({ ...base, retries: 10_000, maxRetries: null }).kind).toBe("retry");
  });

  it("out of retries without exc → MaxRetriesExceededError naming the task and id", () => {
    const d = decideRetry({ ...base, retries: 3, maxRetries: 3 });
    expect(d.kind).toBe("fail");
    expect(d.error.type).toBe("MaxRetriesExceededError");
    expect(d.error.message).toContain("demo.x[ID]");
    expect(d.error.message).toContain("3");
  });

  it("out of retries with exc → that exc (Celery re-raises it)", () => {
    const exc = { type: "IOError", message: "flaky" };
    expect(decideRetry({ ...base, retries: 5, maxRetries: 3, exc })).toStrictEqual({ kind: "fail", error: exc });
    expect(decideRetry({ ...base, retries: 0, maxRetries: 0, exc })).toStrictEqual({ kind: "fail", error: exc });
  });
});

describe("Retry", () => {
  it("carries its options and is named Retry", () => {
    const r = new Retry({ countdown: 3 });
    expect(r.name).toBe("Retry");
    expect(r.options).toStrictEqual({ countdown: 3 });
    expect(r).toBeInstanceOf(Error);
  });
});
