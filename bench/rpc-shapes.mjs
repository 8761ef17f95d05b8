#!/usr/bin/env node
// What an enqueue's RPC costs by the shape of what it carries: 1,000 task messages sent to a
// Durable Object as objects (a structured clone of each message's nested fields, and the object
// serializes each one to store it), against the same messages as SentMessage tuples (the fields
// the queue reads and the message's JSON, made by the caller). Miniflare, one object, 20 calls
// per shape, 3 rounds per request, 3 requests. Prints ms per call of 1,000 messages.
//
//   node bench/rpc-shapes.mjs
import { Miniflare } from "miniflare";

const script = `
import { DurableObject } from "cloudflare:workers";
export class Q extends DurableObject {
  async objects(messages) { let n = 0; for (const m of messages) n += JSON.stringify(m).length; return n; }
  async sent(queue, messages) { let n = 0; for (const t of messages) n += t[5].length; return n; }
}
const message = () => {
  const id = crypto.randomUUID();
  return { id, task: "demo.noop", args: [], kwargs: {}, queue: "default", priority: 0, eta: null, expires: null, retries: 0, root_id: id, parent_id: null,
    group_id: null, options: { acks_late: false, time_limit: null }, stamps: {}, headers: { lang: "js", task: "demo.noop", id, root_id: id, parent_id: null, group: null },
    chain: [], link: [], link_error: [] };
};
export default {
  async fetch(request, env) {
    const stub = env.Q.get(env.Q.idFromName("q"));
    const messages = Array.from({ length: 1000 }, message);
    const out = { objects_ms: [], sent_ms: [] };
    for (let round = 0; round < 3; round++) {
      let t = performance.now();
      for (let i = 0; i < 20; i++) await stub.objects(messages);
      out.objects_ms.push(+((performance.now() - t) / 20).toFixed(2));
      t = performance.now();
      for (let i = 0; i < 20; i++) await stub.sent("default", messages.map((m) => [m.id, m.priority, m.eta, m.expires, 0, JSON.stringify(m)]));
      out.sent_ms.push(+((performance.now() - t) / 20).toFixed(2));
    }
    return Response.json(out);
  },
};
`;
const mf = new Miniflare({ modules: true, script, compatibilityDate: "2025-04-01", durableObjects: { Q: { className: "Q", useSQLite: true } } });
try {
  for (let i = 0; i < 3; i++) console.log(await (await mf.dispatchFetch("http://localhost/")).text());
} finally {
  await mf.dispose();
}
