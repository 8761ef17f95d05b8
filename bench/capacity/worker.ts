/**
 * The capacity bench's Worker: edgery with the demo tasks and the queues `cap-<N>` spread over N
 * QueueDO shards, plus one bench-only route, `GET /capacity/objects?queue=cap-<N>`, that reads
 * the request count of every object a task touches (that queue's shards, the result shards, the
 * directory) without adding to them. Results spread over 256 ResultDO shards (EDGERY_RESULT_SHARDS
 * in its wrangler.toml), as a deployment sized for 100,000 single sends/s would set. Local only
 * (bench/capacity.mjs starts it).
 */
import { App, edgery, type EdgeryEnv } from "../../src/index.js";
import { registerDemoTasks } from "../../src/demo/tasks.js";
import { allResultShards, directoryStub, queueShardName, queueShardStub } from "../../src/runtime/stubs.js";

export { QueueDO, ResultDO, ChordDO, DirectoryDO, IdempotencyDO, EdgeryDelivery } from "../../src/index.js";

/** The shard counts measured (one queue each). */
const SHARD_COUNTS = [1, 4, 16, 128, 256, 1024];

const app = new App({ name: "capacity", queues: Object.fromEntries(SHARD_COUNTS.map((n) => [`cap-${n}`, { shards: n }])) });
registerDemoTasks(app);
const handler = edgery(app);

export default {
  ...handler,
  async fetch(req: Request, env: EdgeryEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/capacity/objects") return handler.fetch!(req as never, env, ctx);
    const queue = url.searchParams.get("queue") ?? "";
    const layout = app.queueLayout(queue);
    const [shards, results, directory] = await Promise.all([
      Promise.all(Array.from({ length: layout.shards }, (_, k) => queueShardStub(env, queue, k, layout).requestCount())),
      Promise.all(allResultShards(env).map((shard) => shard.requestCount())),
      directoryStub(env).requestCount(),
    ]);
    return Response.json([
      ...shards.map((requests, k) => ({ class: "QueueDO", object: queueShardName(queue, k), requests })),
      ...results.map((requests, i) => ({ class: "ResultDO", object: `shard-${i}`, requests })),
      { class: "DirectoryDO", object: "queues", requests: directory },
    ]);
  },
} satisfies ExportedHandler<EdgeryEnv>;
