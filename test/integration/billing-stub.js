// A stand-in for the billing app in integration tests (Worker "edgery-billing"): the internal
// broker endpoint of an edgery app (src/http/broker-endpoint.ts), keeping what it is sent in memory.
// /__test/* lets a test look at what arrived and make the endpoint fail (a far side that is down).
const held = new Map();
const revoked = new Set();
const ended = new Set();
let failing = false;
let refusing = false;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__test/fail") {
      failing = (await request.json()).on === true;
      return Response.json({ failing });
    }
    if (url.pathname === "/__test/refuse") {
      refusing = (await request.json()).on === true;
      return Response.json({ refusing });
    }
    if (url.pathname === "/__test/seen") {
      const ids = (url.searchParams.get("ids") || "").split(",").filter(Boolean);
      const now = Date.now();
      const out = {};
      for (const id of ids) {
        const m = held.get(id);
        out[id] = m && (m.eta === null || m.eta <= now) ? { args: m.args } : ended.has(id) ? { revoked: true } : null;
      }
      return Response.json(out);
    }
    // Refusing: every call answered 401, as with a token the far side does not know.
    if (refusing || request.headers.get("authorization") !== "Bearer test-peer-token") return Response.json({ error: { code: "unauthorized" } }, { status: 401 });
    if (failing) return new Response("billing is down", { status: 503 });
    if (request.method === "POST" && url.pathname === "/__edgery/broker/enqueue") {
      const { messages } = await request.json();
      for (const m of messages) {
        if (revoked.has(m.id)) ended.add(m.id);
        else if (!held.has(m.id)) held.set(m.id, m);
      }
      return Response.json({ accepted: messages.length }, { status: 202 });
    }
    if (request.method === "POST" && url.pathname === "/__edgery/broker/cancel") {
      const { messages } = await request.json();
      for (const m of messages) held.delete(m.id);
      return Response.json({ accepted: messages.length }, { status: 202 });
    }
    if (request.method === "POST" && url.pathname === "/__edgery/broker/revoke") {
      const { ids } = await request.json();
      const done = [];
      for (const id of ids) {
        revoked.add(id);
        if (held.delete(id)) {
          ended.add(id);
          done.push(id);
        }
      }
      return Response.json({ revoked: done });
    }
    return Response.json({ error: { code: "not_found" } }, { status: 404 });
  },
};
