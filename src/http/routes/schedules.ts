/**
 * `GET /v1/schedules`: the app's periodic tasks with their last and next run times.
 */
import type { Hono } from "hono";
import { WireError } from "../../protocol/index.js";
import { scheduleStub } from "../../runtime/stubs.js";
import type { ScheduleInfo } from "../../schedule/schedule.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";

/** Registers the schedules route. */
export function scheduleRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/schedules", need("read"), async (c) => {
    if (c.get("app").schedules().length === 0) return c.json({ schedules: [] });
    const stub = scheduleStub(c.env);
    if (!stub) throw new WireError("not_configured", "app.schedule() needs the SCHEDULE_DO binding (see wrangler.toml)");
    // RPC typing turns the signature's `unknown` fields into `never`; the values are plain JSON.
    const schedules = (await stub.list()) as unknown as ScheduleInfo[];
    return c.json({ schedules });
  });
}
