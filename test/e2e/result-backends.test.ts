/**
 * Result backends over HTTP against `npm run dev` (docs/result-backends.md): demo.persist lands in
 * D1 and is listed by GET /v1/results with cursor paging; demo.blob's 2,000,000-byte result goes
 * through R2 and reads back whole, also as a chain argument; forget removes a result everywhere;
 * bad query parameters answer 422 naming the parameter.
 */
import { describe, expect, it } from "vitest";
import { api, chain, describeRes, expectError, group, pausedQueue, send, sig, sleep, uniq, waitResult, type Result } from "./helpers";

/** Lists GET /v1/results until `pred` holds on the first page (the D1 write is behind the result). */
async function listUntil(query: string, pred: (rs: Result[]) => boolean, timeoutMs = 30_000): Promise<{ results: Result[]; cursor: string | null }> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const res = await api("GET", `/v1/results?${query}`);
    expect(res.status, describeRes(res)).toBe(200);
    last = res.json;
    if (pred(last.results)) return last;
    await sleep(200);
  }
  throw new Error(`GET /v1/results?${query}: condition not met; last ${JSON.stringify(last).slice(0, 500)}`);
}

describe("result backends", () => {
  it("result_extended keeps the args of a task that never ran (revoked while waiting)", async () => {
    const queue = await pausedQueue();
    const h = await send("demo.persist", { args: [{ revoked: true }], kwargs: { why: "test" }, options: { queue } });
    expect((await api("POST", `/v1/results/${h.id}/revoke`, {})).status).toBe(202);
    const r = await waitResult(h.id);
    expect(r).toMatchObject({ state: "REVOKED", args: [{ revoked: true }], kwargs: { why: "test" } });
  });

  it("demo.persist's results show up in GET /v1/results?task=demo.persist, newest first, with args (result_extended)", async () => {
    const tag = uniq("persist");
    const queue = uniq("rq");
    const handles = [];
    for (let i = 0; i < 5; i++) {
      handles.push(await send("demo.persist", { args: [{ tag, i }], options: { queue } }));
      // Distinct date_done values make newest-first observable.
      await waitResult(handles[i]!.id);
    }
    const page = await listUntil(`task=demo.persist&queue=${queue}&limit=100`, (rs) => rs.length === 5);
    expect(page.results.map((r) => r.id)).toEqual(handles.map((h) => h.id).reverse());
    expect(page.results[0]).toMatchObject({ state: "SUCCESS", task: "demo.persist", queue, result: { tag, i: 4 }, args: [{ tag, i: 4 }], kwargs: {} });
    expect(page.cursor).toBeNull();
    const one = await waitResult(handles[0]!.id);
    expect(one).toMatchObject({ result: { tag, i: 0 }, args: [{ tag, i: 0 }] });
    // A task on the default backend has no args field and is not in D1.
    const plain = await send("demo.identity", { args: [1], options: { queue } });
    const r = await waitResult(plain.id);
    expect(r).not.toHaveProperty("args");
    const again = await api("GET", `/v1/results?queue=${queue}&limit=100`);
    expect(again.json.results.map((x: Result) => x.id)).not.toContain(plain.id);
  });

  it("pages with the cursor: every result once, in order, and the last page's cursor is null", async () => {
    const queue = uniq("rp");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const h = await send("demo.persist", { args: [i], options: { queue } });
      await waitResult(h.id);
      ids.push(h.id);
    }
    await listUntil(`task=demo.persist&queue=${queue}`, (rs) => rs.length === 5);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await api("GET", `/v1/results?task=demo.persist&queue=${queue}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status, describeRes(res)).toBe(200);
      expect(res.json.results.length).toBeLessThanOrEqual(2);
      seen.push(...res.json.results.map((r: Result) => r.id));
      cursor = res.json.cursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const since = await api("GET", `/v1/results?queue=${queue}&state=SUCCESS&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(since.json).toEqual({ results: [], cursor: null });
  });

  it("a result under the R2 threshold but too large for a message (200,000 bytes) reaches its chain's next step, its link and a group after it (each failed PayloadTooLarge)", async () => {
    const c = await api("POST", "/v1/apply", chain([sig("demo.blob", [200_000]), sig("demo.identity")]));
    expect(c.status, describeRes(c)).toBe(202);
    const last = await waitResult(c.json.id);
    expect(last.state, JSON.stringify(last.error)).toBe("SUCCESS");
    expect(last.result.length).toBe(200_000);
    // The first step's own result reads back as the value.
    expect((await waitResult(c.json.parent.id)).result.length).toBe(200_000);
    const linked = await send("demo.blob", { args: [200_000], options: { link: [sig("demo.identity")] } });
    const first = await waitResult(linked.id);
    expect(first.children).toHaveLength(1);
    const callback = await waitResult(first.children[0]!);
    expect(callback.state, JSON.stringify(callback.error)).toBe("SUCCESS");
    expect(callback.result.length).toBe(200_000);
    const fan = await api("POST", "/v1/apply", chain([sig("demo.blob", [150_000]), group([sig("demo.identity"), sig("demo.identity")])]));
    expect(fan.status, describeRes(fan)).toBe(202);
    for (const member of fan.json.results) {
      const r = await waitResult(member.id);
      expect(r.state, JSON.stringify(r.error)).toBe("SUCCESS");
      expect(r.result.length).toBe(150_000);
    }
  });

  it("demo.blob(2_000_000) goes through R2 and reads back whole; as a chain argument too", async () => {
    const h = await send("demo.blob", { args: [2_000_000] });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify({ ...r, result: typeof r.result })).toBe("SUCCESS");
    expect(typeof r.result).toBe("string");
    expect(r.result.length).toBe(2_000_000);
    expect(r.result.slice(0, 3)).toBe("xxx");
    // A plain read (from the shard, which copies it into KV) and one more (KV by then, or the
    // shard) resolve the pointer again.
    for (let i = 0; i < 2; i++) {
      const again = await api("GET", `/v1/results/${h.id}`);
      expect(again.json.result.length).toBe(2_000_000);
    }
    // chain(blob(2_000_000), identity): the next step gets the value, not the pointer.
    const c = await api("POST", "/v1/apply", chain([sig("demo.blob", [2_000_000]), sig("demo.identity")]));
    expect(c.status, describeRes(c)).toBe(202);
    const last = await waitResult(c.json.id);
    expect(last.state).toBe("SUCCESS");
    expect(last.result.length).toBe(2_000_000);
  });

  it("result_extended with an argument kept in R2 (a 2,100,000-byte chain argument): args read back as the value, never as the internal pointer, whether the consumer writes the result or the settle does", async () => {
    // demo.persist is result_extended. Without a hard time limit its consumer writes the result
    // ahead of the settle; with one (time_limit) the QueueDO's settle writes it from the message.
    for (const options of [{}, { time_limit: 60 }]) {
      const c = await api("POST", "/v1/apply", chain([sig("demo.blob", [2_100_000]), sig("demo.persist", [], options)]));
      expect(c.status, describeRes(c)).toBe(202);
      const r = await waitResult(c.json.id);
      const shown = JSON.stringify({ ...r, result: typeof r.result, args: JSON.stringify(r.args)?.slice(0, 200) });
      expect(r.state, shown).toBe("SUCCESS");
      expect(r.result.length).toBe(2_100_000);
      // Read again: the shard, then KV (or the shard), then D1's listing; each resolves it.
      for (const read of [r, (await api("GET", `/v1/results/${c.json.id}`)).json, (await api("GET", `/v1/results/${c.json.id}`)).json]) {
        expect(JSON.stringify(read).includes("$edgery_r2"), shown).toBe(false);
        expect(Array.isArray(read.args), shown).toBe(true);
        expect(read.args).toHaveLength(1);
        expect(read.args[0].length, shown).toBe(2_100_000);
        expect(read.kwargs).toEqual({});
      }
      const listed = await listUntil(`task=demo.persist&limit=100`, (rs) => rs.some((x) => x.id === c.json.id));
      const row = listed.results.find((x) => x.id === c.json.id)!;
      expect(JSON.stringify(row).includes("$edgery_r2")).toBe(false);
      expect(row.args[0].length).toBe(2_100_000);
    }
  });

  it("forget removes a result everywhere: the shard, D1 and R2", async () => {
    const p = await send("demo.persist", { args: ["forget me"] });
    await waitResult(p.id);
    await listUntil(`task=demo.persist&limit=1000`, (rs) => rs.some((r) => r.id === p.id));
    const b = await send("demo.blob", { args: [2_000_000] });
    expect((await waitResult(b.id)).result.length).toBe(2_000_000);
    for (const id of [p.id, b.id]) {
      const del = await api("DELETE", `/v1/results/${id}`);
      expect(del.status, describeRes(del)).toBe(204);
      const gone = await api("GET", `/v1/results/${id}`);
      expect(gone.json).toMatchObject({ id, state: "PENDING", result: null });
    }
    const listed = await api("GET", `/v1/results?task=demo.persist&limit=1000`);
    expect(listed.json.results.map((r: Result) => r.id)).not.toContain(p.id);
  });

  it("bad query parameters answer 422 invalid_request naming the parameter", async () => {
    expectError(await api("GET", "/v1/results?state=BOGUS"), 422, "invalid_request", "state");
    expectError(await api("GET", "/v1/results?limit=0"), 422, "invalid_request", "limit");
    expectError(await api("GET", "/v1/results?limit=abc"), 422, "invalid_request", "limit");
    expectError(await api("GET", "/v1/results?since=yesterday"), 422, "invalid_request", "since");
    expectError(await api("GET", "/v1/results?cursor=garbage!"), 422, "invalid_request", "cursor");
    expectError(await api("GET", "/v1/results?queue=bad%20queue"), 422, "invalid_request", "queue");
    expectError(await api("POST", "/v1/results"), 405, "method_not_allowed");
  });
});
