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

  it("a schedule whose definition changed runs by its new one from its last run (an edit from yearly to every hour waited for the old yearly slot); a row from before specs were kept keeps its next run", async () => {
    const name = uid("edited");
    const kept = uid("kept");
    const task = uid("itest.edited");
    getApp().task(task, () => null).schedule(name, { every: 3600 }, { task }).schedule(kept, { every: 60 }, { task });
    const stub = scheduleStub(env)!;
    const list = async () => (await stub.list()) as unknown as ScheduleInfo[];
    await list();
    const lastRun = Date.now() - 10_000;
    const yearly = Date.parse("2099-01-01T00:00:00Z");
    // As a deploy left them: `name` was last defined as a yearly cron and ran 10 s ago; `kept`
    // has a row written before the spec column.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE schedules SET spec = 'cron 0 0 1 1 * UTC', last_run_at = ?, next_run_at = ? WHERE name = ?", lastRun, yearly, name);
      state.storage.sql.exec("UPDATE schedules SET spec = NULL, next_run_at = ? WHERE name = ?", yearly, kept);
    });
    const after = await list();
    expect(Date.parse(after.find((s) => s.name === name)!.next_run_at!)).toBe(lastRun + 3_600_000);
    expect(Date.parse(after.find((s) => s.name === kept)!.next_run_at!)).toBe(yearly);
    // Listed again, the specs match: nothing moves.
    const again = await list();
    expect(Date.parse(again.find((s) => s.name === name)!.next_run_at!)).toBe(lastRun + 3_600_000);
    const specs = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ name: string; spec: string }>("SELECT name, spec FROM schedules WHERE name IN (?, ?)", name, kept).toArray(),
    );
    expect(Object.fromEntries(specs.map((r) => [r.name, r.spec]))).toEqual({ [name]: "every 3600", [kept]: "every 60" });
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
