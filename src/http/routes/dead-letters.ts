/**
 * Dead letters: `GET /v1/dead-letters` (newest first across queues, cursor paging) and
 * `POST /v1/dead-letters/:id/replay` (the same signature enqueued again with a new id).
 */
import type { Hono } from "hono";
import { WireError, parseSignature } from "../../protocol/index.js";
import { applyCanvases } from "../../apply/apply.js";
import { directoryStub, queueStub } from "../../runtime/stubs.js";
import { fulfilled } from "../../runtime/settled.js";
import { boundFor, decodeCursor, encodeCursor, type DeadLetterCursor } from "../../dead-letters/cursor.js";
import type { DeadLetter, DeadLetterEntry } from "../../protocol/rpc.js";
import type { EdgeryEnv } from "../../runtime/env.js";
import { limitParam, queueParam } from "../query.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";

/** Default page size. */
const DEFAULT_LIMIT = 50;

// RPC typing turns the signature's `unknown` fields into `never`; the values are plain JSON.
async function pageOf(env: EdgeryEnv, queue: string, bound: { at: number; seq: number }, limit: number): Promise<DeadLetterEntry[]> {
  return (await queueStub(env, queue).deadLetters(queue, bound, limit)) as unknown as DeadLetterEntry[];
}

async function letterOf(env: EdgeryEnv, queue: string, id: string): Promise<DeadLetter | null> {
  return (await queueStub(env, queue).deadLetter(queue, id)) as unknown as DeadLetter | null;
}

async function queuesOf(env: EdgeryEnv, only: string | undefined): Promise<string[]> {
  return only !== undefined ? [only] : directoryStub(env).listQueues();
}

/** Registers the dead-letter routes. */
export function deadLetterRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/dead-letters", need("read"), async (c) => {
    const limit = limitParam(c.req.query("limit"), DEFAULT_LIMIT);
    const only = queueParam(c.req.query("queue"));
    const rawCursor = c.req.query("cursor");
    const after: DeadLetterCursor | null = rawCursor === undefined || rawCursor === "" ? null : decodeCursor(rawCursor);
    const queues = await queuesOf(c.env, only);
    // Each queue gives its newest `limit + 1` below the cursor; the merge keeps the newest
    // `limit`, and one left over says there is a next page.
    const pages = fulfilled(
      await Promise.allSettled(queues.map(async (q) => (await pageOf(c.env, q, boundFor(q, after), limit + 1)).map((e) => ({ ...e, queue: q })))),
      (i, reason) => console.error(`edgery: dead letters of queue '${queues[i]}' unavailable`, reason),
    );
    const merged = pages.flat().sort((a, b) => b.failedAt - a.failedAt || (a.queue < b.queue ? 1 : a.queue > b.queue ? -1 : 0) || b.seq - a.seq);
    const page = merged.slice(0, limit);
    const last = page.at(-1);
    const cursor = merged.length > limit && last ? encodeCursor({ failedAt: last.failedAt, queue: last.queue, seq: last.seq }) : null;
    return c.json({ items: page.map((e) => e.item), cursor });
  });

  api.post("/v1/dead-letters/:id/replay", need("admin"), async (c) => {
    const id = c.req.param("id");
    const only = queueParam(c.req.query("queue"));
    const queues = await queuesOf(c.env, only);
    const found = fulfilled(await Promise.allSettled(queues.map((q) => letterOf(c.env, q, id))), (i, reason) =>
      console.error(`edgery: dead letters of queue '${queues[i]}' unavailable`, reason),
    ).filter((d): d is DeadLetter => d !== null);
    const letter = found.sort((a, b) => b.failed_at.localeCompare(a.failed_at))[0];
    if (!letter) throw new WireError("not_found", `no dead letter with id '${id}'`);
    const [handle] = await applyCanvases(c.env, c.get("app"), [{ canvas: parseSignature(letter.signature), path: "" }]);
    return c.json(handle, 202);
  });
}
