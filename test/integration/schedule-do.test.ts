/**
 * ScheduleDO: lists the app's schedules with their run times, and its alarm applies a due
 * schedule once per slot (the next run is written before the signature is applied).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { scheduleStub } from "../../src/runtime/stubs";
import type { ScheduleInfo } from "../../src/schedule/schedule";
import { getApp } from "../../src/runtime/app-registry";
import { queue, uid, until } from "./helpers";

describe("ScheduleDO", () => {
  it("lists a registered schedule and applies it when due", async () => {
    const q = uid("q-sched");
    const name = uid("every");
    // A task of its own: the demo tasks are optional, and only a fetch or queue handler turns them on.
    const task = uid("itest.scheduled");
    getApp().task(task, () => null).schedule(name, { every: 3600 }, { task, options: { queue: q } });
    const stub = scheduleStub(env)!;
    // RPC typing turns the signature's `unknown` fields into `never`.
    const list = async () => (await stub.list()) as unknown as ScheduleInfo[];
    const listed = (await list()).find((s) => s.name === name);
    expect(listed).toMatchObject({ name, every: 3600, signature: { task }, last_run_at: null });
    expect(Date.parse(listed!.next_run_at!)).toBeGreaterThan(Date.now());

    await queue(q).configure(q, { paused: true });
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE schedules SET next_run_at = ? WHERE name = ?", Date.now() - 1, name);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await until(async () => ((await queue(q).stats(q)).waiting === 1 ? true : undefined));
    const after = (await list()).find((s) => s.name === name)!;
    expect(after.last_run_at).not.toBeNull();
    expect(Date.parse(after.next_run_at!)).toBeGreaterThan(Date.now() + 3000_000);
    // Not due again: a second tick applies nothing.
    expect(await stub.tick()).toEqual({ applied: [] });
    expect((await queue(q).stats(q)).waiting).toBe(1);
  });

  it("lists a cron schedule's time zone and runs it on that zone's wall clock (croner in workerd)", async () => {
    const name = uid("tz");
    const task = uid("itest.tz");
    getApp().task(task, () => null).schedule(name, { cron: "0 9 * * *", tz: "Asia/Kolkata" }, { task });
    const listed = ((await scheduleStub(env)!.list()) as unknown as ScheduleInfo[]).find((s) => s.name === name)!;
    expect(listed).toMatchObject({ name, cron: "0 9 * * *", tz: "Asia/Kolkata" });
    // 09:00 in Kolkata (UTC+05:30) is 03:30 UTC.
    expect(listed.next_run_at).toMatch(/T03:30:00\.000Z$/);
  });
});
