/**
 * `GET /v1/events`: the live task-event feed (`text/event-stream`), served by the EventsDO.
 */
import type { Hono } from "hono";
import { WireError } from "../../protocol/index.js";
import { eventsStub } from "../../runtime/stubs.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";

/** Registers the events route. */
export function eventsRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/events", need("read"), async (c) => {
    const stub = eventsStub(c.env);
    if (!stub) throw new WireError("not_configured", "the event feed needs the EVENTS_DO binding (see wrangler.toml)");
    // The stream ends when the client goes away: the EventsDO's next write to it fails.
    return stub.fetch("https://edgery.internal/events");
  });
}
