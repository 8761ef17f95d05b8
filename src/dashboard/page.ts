/**
 * The web dashboard served at `GET /dashboard`: one self-contained page (inline CSS and JS, no
 * build step). It asks for the API token in the page and keeps it in sessionStorage; every call
 * sends it as a bearer header, the live feed included (read with fetch as a stream, since
 * EventSource cannot send headers). All data is written with textContent, never as HTML.
 */

/** The dashboard page. */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgery dashboard</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2430; --muted:#6b7280; --line:#e5e7eb; --accent:#f38020; --ok:#15803d; --bad:#b91c1c; --warn:#a16207; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:center; gap:16px; padding:12px 24px; background:#1d2430; color:#fff; }
  header h1 { font-size:18px; margin:0; letter-spacing:.02em; }
  header h1 span { color:var(--accent); }
  header .status { margin-left:auto; font-size:12px; color:#cbd5e1; }
  main { padding:20px 24px; display:grid; gap:20px; grid-template-columns: minmax(0,1fr) 340px; align-items:start; }
  .scroll { overflow-x:auto; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; min-width:0; }
  section h2 { font-size:15px; margin:0 0 10px; display:flex; align-items:center; gap:8px; }
  section h2 small { color:var(--muted); font-weight:normal; }
  #queues, #dead { grid-column: 1; } #events-card { grid-column: 2; grid-row: 1 / span 2; }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:6px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { font-size:12px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
  td.num, th.num { text-align:right; }
  td.wrap { white-space:normal; word-break:break-word; }
  .pill { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; }
  .pill.running { background:#dcfce7; color:var(--ok); } .pill.paused { background:#fef3c7; color:var(--warn); }
  button { font:inherit; font-size:12px; padding:3px 10px; border-radius:5px; border:1px solid #cbd5e1; background:#fff; cursor:pointer; }
  button:hover { border-color:var(--accent); } button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
  button.danger { color:var(--bad); }
  input { font:inherit; padding:5px 8px; border:1px solid #cbd5e1; border-radius:5px; }
  input.conc { width:70px; padding:2px 6px; font-size:12px; }
  #login { max-width:420px; margin:80px auto; background:#fff; border:1px solid var(--line); border-radius:8px; padding:24px; }
  #login h2 { margin-top:0; } #login input { width:100%; margin:8px 0 12px; }
  #login .err { color:var(--bad); min-height:1.4em; }
  #events { list-style:none; margin:0; padding:0; max-height:70vh; overflow:auto; font-size:12px; }
  #events li { padding:5px 2px; border-bottom:1px solid var(--line); display:grid; grid-template-columns: 110px 1fr; gap:2px 8px; }
  #events .ev { font-weight:600; } #events .meta { color:var(--muted); grid-column:2; overflow:hidden; text-overflow:ellipsis; }
  .ev.task-succeeded { color:var(--ok); } .ev.task-failed { color:var(--bad); } .ev.task-retried { color:var(--warn); } .ev.task-revoked { color:var(--muted); }
  .muted { color:var(--muted); } .hidden { display:none !important; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } #queues, #dead, #events-card { grid-column:1; grid-row:auto; } }
</style>
</head>
<body>
<header><h1><span>edgery</span> dashboard</h1><div class="status" id="status">not connected</div><button id="logout" class="hidden">Forget token</button></header>

<form id="login">
  <h2>API token</h2>
  <label for="token" class="muted">A bearer token of this edgery Worker with the read scope (admin for queue settings; <code>dev-token</code> in local dev).</label>
  <input id="token" type="password" autocomplete="off" placeholder="token">
  <div class="err" id="login-error"></div>
  <button class="primary" id="connect" type="submit">Connect</button>
</form>

<main id="app" class="hidden">
  <section id="queues">
    <h2>Queues <small id="queues-updated"></small></h2>
    <div class="scroll"><table>
      <thead><tr><th>Queue</th><th>State</th><th class="num">Waiting</th><th class="num">Delayed</th><th class="num">Leased</th><th class="num">Completed</th><th class="num">Failed</th><th>Concurrency</th><th></th></tr></thead>
      <tbody id="queue-rows"></tbody>
    </table></div>
  </section>
  <section id="dead">
    <h2>Dead letters <small>newest first</small></h2>
    <div class="scroll"><table>
      <thead><tr><th>Failed at</th><th>Task</th><th>Queue</th><th>Error</th><th></th></tr></thead>
      <tbody id="dead-rows"></tbody>
    </table></div>
    <p class="muted hidden" id="dead-empty">No task has failed for good.</p>
  </section>
  <section id="events-card">
    <h2>Live events <small id="events-status">connecting…</small></h2>
    <p class="muted" id="events-empty">Waiting for task events…</p>
    <ul id="events"></ul>
  </section>
</main>

<script>
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("edgery-token") || "";
  let timer = null;
  let feed = null;

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  async function call(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: Object.assign({ authorization: "Bearer " + token }, body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!res.ok) {
      const err = new Error((json && json.error && json.error.message) || res.status + " " + res.statusText);
      err.status = res.status;
      throw err;
    }
    return json;
  }

  function status(text) { $("status").textContent = text; }

  function queueRow(q) {
    const conc = el("input", { class: "conc", type: "number", min: "1", value: String(q.concurrency), "aria-label": "concurrency of " + q.name });
    return el("tr", { "data-queue": q.name },
      el("td", { text: q.name }),
      el("td", {}, el("span", { class: "pill state " + (q.paused ? "paused" : "running"), text: q.paused ? "paused" : "running" })),
      el("td", { class: "num waiting", text: String(q.waiting) }),
      el("td", { class: "num", text: String(q.delayed) }),
      el("td", { class: "num", text: String(q.leased) }),
      el("td", { class: "num", text: String(q.completed) }),
      el("td", { class: "num", text: String(q.failed) }),
      el("td", {}, conc, " ", el("button", { class: "set-concurrency", type: "button", onclick: () => act(() => call("PUT", "/v1/queues/" + encodeURIComponent(q.name), { concurrency: Number(conc.value) })) }, "Set")),
      el("td", {},
        el("button", { class: q.paused ? "resume" : "pause", type: "button", onclick: () => act(() => call("PUT", "/v1/queues/" + encodeURIComponent(q.name), { paused: !q.paused })) }, q.paused ? "Resume" : "Pause"),
        " ",
        el("button", { class: "purge danger", type: "button", onclick: () => confirm("Drop every waiting message of " + q.name + "?") && act(() => call("DELETE", "/v1/queues/" + encodeURIComponent(q.name) + "/messages")) }, "Purge")),
    );
  }

  function deadRow(d) {
    return el("tr", { "data-id": d.id },
      el("td", { text: new Date(d.failed_at).toLocaleString() }),
      el("td", { text: d.task }),
      el("td", { text: d.queue }),
      el("td", { class: "wrap", text: (d.error && d.error.type) + ": " + (d.error && d.error.message) }),
      el("td", {}, el("button", { class: "replay", type: "button", onclick: () => act(() => call("POST", "/v1/dead-letters/" + encodeURIComponent(d.id) + "/replay?queue=" + encodeURIComponent(d.queue))) }, "Replay")),
    );
  }

  async function act(fn) {
    try { await fn(); } catch (e) { status("error: " + e.message); }
    await refresh();
  }

  async function refresh() {
    try {
      const [queues, dead] = await Promise.all([call("GET", "/v1/queues"), call("GET", "/v1/dead-letters?limit=20")]);
      $("queue-rows").replaceChildren(...queues.queues.map(queueRow));
      $("dead-rows").replaceChildren(...dead.items.map(deadRow));
      $("dead-empty").classList.toggle("hidden", dead.items.length > 0);
      $("queues-updated").textContent = "updated " + new Date().toLocaleTimeString();
      status("connected");
    } catch (e) {
      if (e.status === 401 || e.status === 503) return logout(e.message);
      status("error: " + e.message);
    }
  }

  function addEvent(name, data) {
    let r = {};
    try { r = JSON.parse(data); } catch (e) { r = {}; }
    const list = $("events");
    $("events-empty").classList.add("hidden");
    list.prepend(el("li", { "data-event": name },
      el("span", { class: "ev " + name, text: name }),
      el("span", { text: (r.task || "?") + (r.state ? " · " + r.state : "") }),
      el("span", { class: "meta", text: (r.id || "") + (r.queue ? " · " + r.queue : "") + (r.error ? " · " + r.error.type + ": " + r.error.message : "") })));
    while (list.children.length > 200) list.lastChild.remove();
    if (name === "task-failed" || name === "task-succeeded") scheduleRefresh();
  }

  let pending = null;
  function scheduleRefresh() { pending = pending || setTimeout(() => { pending = null; refresh(); }, 500); }

  async function listen() {
    const controller = new AbortController();
    feed = controller;
    while (feed === controller) {
      try {
        const res = await fetch("/v1/events", { headers: { authorization: "Bearer " + token }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error("events: " + res.status);
        $("events-status").textContent = "live";
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf("\\n\\n")) >= 0) {
            const frame = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let name = "message";
            const data = [];
            for (const line of frame.split("\\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
            }
            if (data.length) addEvent(name, data.join("\\n"));
          }
        }
      } catch (e) {
        if (feed !== controller) return;
        $("events-status").textContent = "reconnecting…";
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  function start() {
    $("login").classList.add("hidden");
    $("app").classList.remove("hidden");
    $("logout").classList.remove("hidden");
    refresh();
    timer = setInterval(refresh, 3000);
    listen();
  }

  function logout(message) {
    token = "";
    sessionStorage.removeItem("edgery-token");
    clearInterval(timer);
    if (feed) feed.abort();
    feed = null;
    $("app").classList.add("hidden");
    $("logout").classList.add("hidden");
    $("login").classList.remove("hidden");
    $("login-error").textContent = message || "";
    status("not connected");
  }

  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    token = $("token").value.trim();
    try {
      await call("GET", "/v1/queues");
      sessionStorage.setItem("edgery-token", token);
      $("login-error").textContent = "";
      start();
    } catch (e) {
      $("login-error").textContent = e.status === 401 ? "That token is not accepted." : "Could not connect: " + e.message;
    }
  });
  $("logout").addEventListener("click", () => logout(""));
  if (token) start();
})();
</script>
</body>
</html>
`;
