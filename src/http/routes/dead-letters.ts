/**
 * Dead letters: `GET /v1/dead-letters` (newest first across queues, cursor paging) and
 * `POST /v1/dead-letters/:id/replay` (the same signature enqueued again with a new id).
 */
import type { Hono } from "hono";
import { WireError, parseSignature } from "../../protocol/index.js";
import { applyCanvases } from "../../apply/apply.js";
import { directoryStub, queueShardName, queueShardStub } from "../../runtime/stubs.js";
import { queueShardCount } from "../../runtime/queue-shards.js";
import { fulfilled } from "../../runtime/settled.js";
import { boundFor, decodeCursor, encodeCursor, type DeadLetterCursor } from "../../dead-letters/cursor.js";
import type { DeadLetter, DeadLetterEntry } from "../../protocol/rpc.js";
import type { EdgeryEnv } from "../../runtime/env.js";
import { limitParam, queryParam, queueParam } from "../query.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";
import type { App } from "../../app/app.js";
import { pathParam } from "../path-param.js";

/** Default page size. */
const DEFAULT_LIMIT = 50;

/** One QueueDO that keeps dead letters: a queue's shard (the queue itself unless it is sharded). */
interface Shard {
  queue: string;
  shard: number;
  /** Its object name: where a page of the merge comes from, in the cursor. */
  name: string;
}

function stubOf(env: EdgeryEnv, app: App, s: Shard) {
  return queueShardStub(env, s.queue, s.shard, app.queueLayout(s.queue));
}

// RPC typing turns the signature's `unknown` fields into `never`; the values are plain JSON.
async function pageOf(env: EdgeryEnv, app: App, s: Shard, bound: { at: number; seq: number }, limit: number): Promise<DeadLetterEntry[]> {
  return (await stubOf(env, app, s).deadLetters(s.queue, bound, limit)) as unknown as DeadLetterEntry[];
}

async function letterOf(env: EdgeryEnv, app: App, s: Shard, id: string): Promise<DeadLetter | null> {
  return (await stubOf(env, app, s).deadLetter(s.queue, id)) as unknown as DeadLetter | null;
}

/** Every shard of the queues asked (one queue, or every listed one): each keeps its own dead letters. */
async function shardsOf(env: EdgeryEnv, app: App, only: string | undefined): Promise<Shard[]> {
  const queues = only !== undefined ? [only] : await directoryStub(env).listQueues();
  const counts = await Promise.all(queues.map((q) => queueShardCount(env, q, app.queueLayout(q))));
  return queues.flatMap((queue, i) => Array.from({ length: counts[i]! }, (_, shard) => ({ queue, shard, name: queueShardName(queue, shard) })));
}

/** Registers the dead-letter routes. */
export function deadLetterRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/dead-letters", need("read"), async (c) => {
    const limit = limitParam(queryParam(c, "limit"), DEFAULT_LIMIT);
    const only = queueParam(queryParam(c, "queue"));
    const rawCursor = queryParam(c, "cursor");
    const after: DeadLetterCursor | null = rawCursor === undefined || rawCursor === "" ? null : decodeCursor(rawCursor);
    const app = c.get("app");
    const shards = await shardsOf(c.env, app, only);
    // Each queue shard gives its newest `limit + 1` below the cursor; the merge keeps the newest
    // `limit`, and one left over says there is a next page. The cursor names the shard's object
    // (its seq numbers are its own).
    const pages = fulfilled(
      await Promise.allSettled(shards.map(async (s) => (await pageOf(c.env, app, s, boundFor(s.name, after), limit + 1)).map((e) => ({ ...e, queue: s.name })))),
      (i, reason) => console.error(`edgery: dead letters of queue shard '${shards[i]!.name}' unavailable`, reason),
    );
    const merged = pages.flat().sort((a, b) => b.failedAt - a.failedAt || (a.queue < b.queue ? 1 : a.queue > b.queue ? -1 : 0) || b.seq - a.seq);
    const page = merged.slice(0, limit);
    const last = page.at(-1);
    const cursor = merged.length > limit && last ? encodeCursor({ failedAt: last.failedAt, queue: last.queue, seq: last.seq }) : null;
    return c.json({ items: page.map((e) => e.item), cursor });
  });

  api.post("/v1/dead-letters/:id/replay", need("admin"), async (c) => {
    const id = pathParam(c, "id");
    const only = queueParam(queryParam(c, "queue"));
    const shards = await shardsOf(c.env, c.get("app"), only);
    const found = fulfilled(await Promise.allSettled(shards.map((s) => letterOf(c.env, c.get("app"), s, id))), (i, reason) =>
      console.error(`edgery: dead letters of queue shard '${shards[i]!.name}' unavailable`, reason),
    ).filter((d): d is DeadLetter => d !== null);
    const letter = found.sort((a, b) => b.failed_at.localeCompare(a.failed_at))[0];
    if (!letter) throw new WireError("not_found", `no dead letter with id '${id}'`);
    const [handle] = await applyCanvases(c.env, c.get("app"), [{ canvas: parseSignature(letter.signature), path: "" }]);
    return c.json(handle, 202);
  });
}
