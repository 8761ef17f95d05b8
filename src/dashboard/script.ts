/**
 * The dashboard's script (inlined into the page). Plain browser JS, no build step and no
 * dependency. It only calls the public API with the token typed into the page (kept in
 * sessionStorage, sent as a bearer header, the live feed included: EventSource cannot send
 * headers, so the feed is read with fetch as a stream). Every value from the API is written with
 * textContent or as an attribute, never parsed as HTML. Routes the server may not have
 * (`/v1/inspect/*`) show "not available" when they answer 404.
 *
 * Views, by location hash: `#/` overview (running tasks with progress, queues, dead letters, live
 * events), `#/task/<id>` a task or group (facts, canvas tree, arguments, result or error,
 * stamps), `#/results` the result search, `#/schedules` schedules, delayed and registered tasks.
 *
 * Written inside a TypeScript template literal: no backticks, no dollar-brace, doubled backslashes.
 */

/** The page's script. */
export const DASHBOARD_JS = /* js */ `
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const READY = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
  const EVENTS_KEPT = 200, RUNNING_KEPT = 500, RUNNING_POLLED = 50, TREE_STEPS = 100, TREE_MEMBERS = 200;
  let token = sessionStorage.getItem("edgery-token") || "";
  let timer = null, feed = null, view = { name: "overview", arg: null };
  /** The task page stops reloading once its task and canvas are all finished. */
  let taskSettled = false;
  /** Tasks not finished yet, by id: fed by the live events, /v1/inspect/active when it exists, and polled results. */
  const running = new Map();
  let inspectActive = null;

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
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

  /** An optional route: its answer, or null when this server does not have it (404). */
  async function optional(path) {
    try { return await call("GET", path); } catch (e) { if (e.status === 404) return null; throw e; }
  }

  function status(text) { $("status").textContent = text; }
  function failed(e) {
    if (e && (e.status === 401 || e.status === 503)) return logout(e.message);
    status("error: " + (e && e.message));
  }

  // Formatting: every helper returns text or a node, never markup.
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
  const asJson = (v, indent) => { try { const s = JSON.stringify(v, null, indent); return s === undefined ? String(v) : s; } catch (e) { return String(v); } };
  const brief = (v) => { const s = asJson(v); return s.length > 80 ? s.slice(0, 80) + "…" : s; };
  const seconds = (from, to) => { const a = Date.parse(from), b = Date.parse(to); return Number.isFinite(a) && Number.isFinite(b) ? ((b - a) / 1000).toFixed(3) + " s" : "—"; };
  const taskLink = (id) => el("a", { class: "id", href: "#/task/" + enc(id), text: String(id) });
  const pill = (state) => el("span", { class: "pill state " + String(state), text: String(state) });
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  /** A progress bar for meta {current, total}; other meta as brief JSON. */
  function progress(meta) {
    if (isObject(meta) && typeof meta.current === "number" && typeof meta.total === "number" && meta.total > 0) {
      const pct = Math.max(0, Math.min(100, Math.round((meta.current / meta.total) * 100)));
      const bar = el("span", { class: "bar" }, el("i", { style: "width:" + pct + "%" }));
      return el("span", { class: "progress" }, bar, meta.current + "/" + meta.total + " (" + pct + "%)");
    }
    return meta === null || meta === undefined ? "—" : brief(meta);
  }

  // ---- overview ----

  function queueRow(q) {
    const conc = el("input", { class: "conc", type: "number", min: "1", value: String(q.concurrency), "aria-label": "concurrency of " + q.name });
    const put = (body) => act(() => call("PUT", "/v1/queues/" + enc(q.name), body));
    return el("tr", { "data-queue": q.name },
      el("td", { text: q.name }),
      el("td", {}, el("span", { class: "pill state " + (q.paused ? "paused" : "running"), text: q.paused ? "paused" : "running" })),
      el("td", { class: "num waiting", text: String(q.waiting) }),
      el("td", { class: "num", text: String(q.delayed) }),
      el("td", { class: "num", text: String(q.leased) }),
      el("td", { class: "num", text: String(q.completed) }),
      el("td", { class: "num", text: String(q.failed) }),
      el("td", {}, conc, " ", el("button", { class: "set-concurrency", type: "button", onclick: () => put({ concurrency: Number(conc.value) }) }, "Set")),
      el("td", {},
        el("button", { class: q.paused ? "resume" : "pause", type: "button", onclick: () => put({ paused: !q.paused }) }, q.paused ? "Resume" : "Pause"),
        " ",
        el("button", { class: "purge danger", type: "button", onclick: () => confirm("Drop every waiting message of " + q.name + "?") && act(() => call("DELETE", "/v1/queues/" + enc(q.name) + "/messages")) }, "Purge")),
    );
  }

  function deadRow(d) {
    return el("tr", { "data-id": d.id },
      el("td", { text: when(d.failed_at) }),
      el("td", { text: d.task }),
      el("td", { text: d.queue }),
      el("td", { class: "wrap", text: (d.error && d.error.type) + ": " + (d.error && d.error.message) }),
      el("td", {}, el("button", { class: "replay", type: "button", onclick: () => act(() => call("POST", "/v1/dead-letters/" + enc(d.id) + "/replay?queue=" + enc(d.queue))) }, "Replay")),
    );
  }

  /** Records what is known of an unfinished task; a finished (or unknown) one leaves the list. */
  function track(r) {
    if (!isObject(r) || typeof r.id !== "string") return;
    if (READY.has(r.state) || (r.state === "PENDING" && !r.task)) { running.delete(r.id); return; }
    if (!running.has(r.id) && running.size >= RUNNING_KEPT) return;
    running.set(r.id, Object.assign(running.get(r.id) || {}, r));
  }

  function runningRow(r) {
    return el("tr", { "data-id": r.id },
      el("td", { text: String(r.task || "?") }),
      el("td", {}, taskLink(r.id)),
      el("td", { text: String(r.queue || "") }),
      el("td", {}, pill(r.state)),
      el("td", { class: "progress-cell" }, progress(r.meta)),
      el("td", { text: when(r.started_at) }),
      el("td", { text: String(r.worker || "") }),
    );
  }

  async function refreshRunning() {
    const active = inspectActive === false ? null : await optional("/v1/inspect/active");
    inspectActive = active !== null;
    if (active && Array.isArray(active.tasks)) for (const t of active.tasks) track(t);
    // The stored result has the latest state and meta (progress) of each one.
    const ids = [...running.keys()].slice(0, RUNNING_POLLED);
    const now = await Promise.all(ids.map((id) => call("GET", "/v1/results/" + enc(id)).catch(() => null)));
    for (const r of now) track(r);
    const rows = [...running.values()].sort((a, b) => String(a.started_at || "").localeCompare(String(b.started_at || "")));
    $("running-rows").replaceChildren(...rows.map(runningRow));
    $("running-empty").classList.toggle("hidden", rows.length > 0);
    $("running-source").textContent = inspectActive ? "from the workers and the live events" : "from the live events (inspect not available on this server)";
  }

  async function refreshOverview() {
    const [queues, dead] = await Promise.all([call("GET", "/v1/queues"), call("GET", "/v1/dead-letters?limit=20"), refreshRunning()]);
    $("queue-rows").replaceChildren(...queues.queues.map(queueRow));
    $("dead-rows").replaceChildren(...dead.items.map(deadRow));
    $("dead-empty").classList.toggle("hidden", dead.items.length > 0);
    $("queues-updated").textContent = "updated " + new Date().toLocaleTimeString();
  }

  // ---- task page ----

  function facts(pairs) {
    return pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { "data-fact": k }, typeof v === "string" ? document.createTextNode(v) : v)]);
  }
  const links = (ids) => (Array.isArray(ids) && ids.length ? el("span", {}, ...ids.flatMap((id, i) => (i ? [", ", taskLink(id)] : [taskLink(id)]))) : "—");
  const note = (text) => el("p", { class: "muted note", text });

  async function loadTask(id) {
    const r = await call("GET", "/v1/results/" + enc(id));
    // An id nothing is known of as a task may be a group's.
    const g = r.state === "PENDING" && !r.task ? await optional("/v1/groups/" + enc(id)) : null;
    if (g) return showGroup(g);
    $("task-title").replaceChildren(String(r.task || "unknown task") + " ", pill(r.state));
    $("task-facts").replaceChildren(...facts([
      ["id", String(r.id)], ["state", String(r.state)], ["queue", String(r.queue || "—")], ["worker", String(r.worker || "—")],
      ["retries", String(r.retries)], ["started", when(r.started_at)], ["done", when(r.date_done)], ["runtime", seconds(r.started_at, r.date_done)],
      ["parent", r.parent_id ? taskLink(r.parent_id) : "—"], ["group", r.group_id ? taskLink(r.group_id) : "—"], ["children", links(r.children)],
      ["progress", progress(r.meta)],
    ]));
    $("task-args").replaceChildren("args" in r || "kwargs" in r
      ? el("pre", { id: "args", text: asJson({ args: r.args || [], kwargs: r.kwargs || {} }, 2) })
      : note("Not recorded: the task's arguments are kept with its result only with result_extended."));
    const bad = r.error && (r.state === "FAILURE" || r.state === "REVOKED");
    $("task-outcome-title").textContent = bad ? "Error" : "Result";
    $("task-outcome").replaceChildren(...[
      bad ? el("pre", { class: "error", id: "error", text: r.error.type + ": " + r.error.message + (r.traceback ? "\\n\\n" + r.traceback : "") })
        : READY.has(r.state) ? el("pre", { id: "result", text: asJson(r.result, 2) })
        : note("Not ready: " + r.state + (r.meta === null || r.meta === undefined ? "" : ", meta " + brief(r.meta))),
      bad && !r.traceback ? note("The result keeps the error's type and message; no traceback is recorded.") : null,
    ].filter(Boolean));
    $("task-stamps").replaceChildren(isObject(r.stamps) && Object.keys(r.stamps).length
      ? el("dl", { class: "facts", id: "stamps" }, ...facts(Object.entries(r.stamps).map(([k, v]) => [k, brief(v)])))
      : note("No stamps recorded with this result."));
    return drawTree({ kind: "task", id: r.id, r });
  }

  function showGroup(g) {
    $("task-title").replaceChildren("group ", el("span", { class: "pill " + (g.ready ? (g.failed ? "FAILURE" : "SUCCESS") : "STARTED"), text: g.completed + "/" + g.total }));
    $("task-facts").replaceChildren(...facts([["id", String(g.id)], ["members", String(g.total)], ["completed", String(g.completed)], ["ready", String(g.ready)], ["successful", String(g.successful)]]));
    $("task-args").replaceChildren(note("A group has no arguments of its own: open a member."));
    $("task-outcome-title").textContent = "Result";
    $("task-outcome").replaceChildren(g.ready ? el("pre", { id: "result", text: asJson(g.results.map((m) => m.result), 2) }) : note("Not ready: " + g.completed + " of " + g.total + " done."));
    $("task-stamps").replaceChildren(note("A group has no stamps of its own: open a member."));
    return drawTree({ kind: "group", id: g.id, g });
  }

  // ---- canvas tree ----
  // A canvas is read back from its results: a task's parent_id is the step before it (a task, or
  // the header group of a chord), its children the step after; members of a group share its
  // group_id. The steps found make the trunk, drawn as a chain; a group followed by a step is a chord.

  async function drawTree(start) {
    const results = new Map(), groups = new Map();
    const getR = async (id) => { if (!results.has(id)) results.set(id, await call("GET", "/v1/results/" + enc(id))); return results.get(id); };
    const getG = async (id) => { if (!groups.has(id)) groups.set(id, await optional("/v1/groups/" + enc(id))); return groups.get(id); };
    const stepOf = async (r) => { const g = r.group_id ? await getG(r.group_id) : null; return g ? { kind: "group", id: g.id, g } : { kind: "task", id: r.id, r }; };
    const stepAt = async (id) => { const r = await getR(id); if (r.task) return stepOf(r); const g = await getG(id); return g ? { kind: "group", id, g } : null; };
    const before = (s) => (s.kind === "task" ? s.r.parent_id : s.g.results.map((m) => m.parent_id).find((p) => p && p !== s.id)) || null;
    const after = (s) => (s.kind === "task" && Array.isArray(s.r.children) && s.r.children.length ? s.r.children[0] : null);
    const here = start.kind === "task" ? await stepOf(start.r) : start;
    const trunk = [here], seen = new Set([here.id]);
    for (let s = here, id = before(s); id && !seen.has(id) && trunk.length < TREE_STEPS; id = before(s)) {
      const prev = await stepAt(id);
      if (!prev) break;
      seen.add(prev.id); trunk.unshift(prev); s = prev;
    }
    for (let s = here, id = after(s); id && !seen.has(id) && trunk.length < TREE_STEPS; id = after(s)) {
      const next = await stepAt(id);
      if (!next || seen.has(next.id)) break;
      seen.add(next.id); trunk.push(next); s = next;
    }
    // A group followed by a task whose parent is that group: a chord (header, body).
    const items = [];
    for (let i = 0; i < trunk.length; i++) {
      const s = trunk[i], n = trunk[i + 1];
      if (s.kind === "group" && n && n.kind === "task" && n.r.parent_id === s.id) { items.push({ kind: "chord", header: s, body: n }); i++; }
      else items.push(s);
    }
    const focus = start.id;
    const taskNode = (r) => el("li", { "data-node": "task", "data-id": r.id },
      el("span", { class: "node" + (r.id === focus ? " here" : "") }, el("a", { href: "#/task/" + enc(r.id), text: String(r.task || r.id) }), pill(r.state),
        el("span", { class: "res", text: r.state === "SUCCESS" ? brief(r.result) : r.error ? r.error.type : "" })));
    const kindNode = (kind, label, attrs, kids) => el("li", Object.assign({ "data-node": kind }, attrs),
      el("span", { class: "node kind" + (attrs["data-id"] === focus ? " here" : "") }, label), el("ul", {}, ...kids));
    const groupNode = (s, label) => kindNode("group", label + " " + s.g.completed + "/" + s.g.total, { "data-id": s.id },
      s.g.results.slice(0, TREE_MEMBERS).map(taskNode).concat(s.g.results.length > TREE_MEMBERS ? [el("li", { class: "muted", text: "… " + (s.g.results.length - TREE_MEMBERS) + " more" })] : []));
    const nodeOf = (it) => it.kind === "chord"
      ? kindNode("chord", "chord " + it.header.g.completed + "/" + it.header.g.total, { "data-id": it.header.id }, [groupNode(it.header, "header"), kindNode("body", "body", {}, [taskNode(it.body.r)])])
      : it.kind === "group" ? groupNode(it, "group") : taskNode(it.r);
    const done = (it) => (it.kind === "task" ? it.r.state === "SUCCESS" : it.kind === "chord" ? it.body.r.state === "SUCCESS" : it.g.ready && it.g.successful);
    const top = items.length > 1 ? [kindNode("chain", "chain " + items.filter(done).length + "/" + items.length, {}, items.map(nodeOf))] : items.map(nodeOf);
    $("tree").replaceChildren(...top);
    $("canvas-note").textContent = items.length === 1 && items[0].kind === "task" ? "a single task" : "";
    const ready = (it) => (it.kind === "task" ? READY.has(it.r.state) : it.kind === "chord" ? it.header.g.ready && READY.has(it.body.r.state) : it.g.ready);
    return items.every(ready);
  }

  // ---- result search ----

  let searchCursor = null;
  function resultRow(r) {
    return el("tr", { "data-id": r.id },
      el("td", { text: when(r.date_done) }),
      el("td", { text: String(r.task || "") }),
      el("td", {}, taskLink(r.id)),
      el("td", {}, pill(r.state)),
      el("td", { text: String(r.queue || "") }),
      el("td", { class: "num", text: seconds(r.started_at, r.date_done) }),
      el("td", { class: "num", text: String(r.retries) }),
      el("td", { class: "val", text: r.error ? r.error.type + ": " + r.error.message : brief(r.result) }),
    );
  }

  async function search(more) {
    const q = new URLSearchParams();
    for (const [k, id] of [["state", "q-state"], ["task", "q-task"], ["queue", "q-queue"], ["since", "q-since"]]) if ($(id).value.trim()) q.set(k, $(id).value.trim());
    q.set("limit", "50");
    if (more && searchCursor) q.set("cursor", searchCursor);
    try {
      const page = await call("GET", "/v1/results?" + q);
      const rows = page.results.map(resultRow);
      if (more) $("search-rows").append(...rows); else $("search-rows").replaceChildren(...rows);
      searchCursor = page.cursor;
      $("search-more").classList.toggle("hidden", !page.cursor);
      $("search-empty").classList.toggle("hidden", $("search-rows").children.length > 0);
      $("search-error").textContent = "";
    } catch (e) {
      if (e.status === 401) return logout(e.message);
      if (!more) $("search-rows").replaceChildren();
      $("search-more").classList.add("hidden");
      $("search-error").textContent = (e.status === 422 ? "The server cannot search: " : "Search failed: ") + e.message;
    }
  }

  // ---- schedules ----

  async function loadSchedules() {
    try {
      const s = await call("GET", "/v1/schedules");
      $("schedule-rows").replaceChildren(...s.schedules.map((x) => el("tr", { "data-schedule": x.name },
        el("td", { text: x.name }),
        el("td", { text: x.cron ? "cron " + x.cron : "every " + x.every + " s" }),
        el("td", { class: "val", text: (x.signature && x.signature.task) + (x.signature && x.signature.args ? " " + brief(x.signature.args) : "") }),
        el("td", { text: when(x.last_run_at) }),
        el("td", { text: when(x.next_run_at) }))));
      $("schedules-empty").classList.toggle("hidden", s.schedules.length > 0);
      $("schedules-error").textContent = "";
    } catch (e) {
      if (e.status === 401) throw e;
      $("schedules-error").textContent = e.message;
    }
    const [delayed, registered] = await Promise.all([optional("/v1/inspect/scheduled"), optional("/v1/inspect/registered")]);
    const list = (rowsId, noteId, answer, row, empty) => {
      const tasks = answer && Array.isArray(answer.tasks) ? answer.tasks : [];
      $(rowsId).replaceChildren(...tasks.map(row));
      $(noteId).textContent = answer ? empty : "Not available: this server has no " + (rowsId === "scheduled-rows" ? "/v1/inspect/scheduled" : "/v1/inspect/registered") + " route.";
      $(noteId).classList.toggle("hidden", tasks.length > 0);
    };
    list("scheduled-rows", "scheduled-note", delayed, (t) => el("tr", { "data-id": t.id },
      el("td", { text: when(t.eta) }), el("td", { text: String(t.task) }), el("td", {}, taskLink(t.id)), el("td", { text: String(t.queue) }), el("td", { class: "num", text: String(t.priority) })),
      "No task waits for a countdown or eta.");
    list("registered-rows", "registered-note", registered, (t) => el("tr", { "data-task": t.name },
      el("td", { text: String(t.name) }), el("td", { class: "val", text: brief(t.defaults || {}) })),
      "No task is registered.");
  }

  // ---- routing, refresh, live feed ----

  function route() {
    const h = location.hash || "#/";
    let name = "overview", arg = null;
    if (h.startsWith("#/task/")) { name = "task"; try { arg = decodeURIComponent(h.slice(7)); } catch (e) { arg = h.slice(7); } }
    else if (h === "#/results") name = "results";
    else if (h === "#/schedules") name = "schedules";
    view = { name, arg };
    for (const v of ["overview", "task", "results", "schedules"]) $("view-" + v).classList.toggle("hidden", v !== name);
    for (const a of $("nav").querySelectorAll("a")) a.classList.toggle("current", a.dataset.view === name);
    if (name === "task") { $("tree").replaceChildren(); $("task-title").textContent = "Loading " + arg + "…"; $("task-facts").replaceChildren(); }
    if (name === "results") search(false);
    taskSettled = false;
    refresh(true);
  }

  // One refresh at a time; a forced one (a new view) asked for meanwhile runs right after.
  let refreshing = false, again = false;
  async function refresh(forced) {
    if (view.name === "task" && taskSettled && !forced) return;
    if (refreshing) { again = again || forced === true; return; }
    refreshing = true;
    const v = view;
    try {
      if (v.name === "overview") await refreshOverview();
      else if (v.name === "task") { const settled = await loadTask(v.arg); if (view === v) taskSettled = settled; }
      else if (v.name === "schedules") await loadSchedules();
      status("connected · " + new Date().toLocaleTimeString());
    } catch (e) { failed(e); }
    finally {
      refreshing = false;
      if (again) { again = false; refresh(true); }
    }
  }

  async function act(fn) {
    try { await fn(); } catch (e) { status("error: " + e.message); }
    await refresh();
  }

  function addEvent(name, data) {
    let r = {};
    try { r = JSON.parse(data); } catch (e) { r = {}; }
    if (!isObject(r)) r = {};
    const list = $("events");
    $("events-empty").classList.add("hidden");
    list.prepend(el("li", { "data-event": name },
      el("span", { class: "ev " + name, text: name }),
      el("span", { text: String(r.task || "?") + (r.state ? " · " + r.state : "") }),
      el("span", { class: "meta", text: String(r.id || "") + (r.queue ? " · " + r.queue : "") + (isObject(r.error) ? " · " + r.error.type + ": " + r.error.message : "") })));
    while (list.children.length > EVENTS_KEPT) list.lastChild.remove();
    if (name === "task-succeeded" || name === "task-failed" || name === "task-revoked") running.delete(r.id);
    else if (name.startsWith("task-")) track(r);
    scheduleRefresh();
  }

  let pending = null;
  function scheduleRefresh() { pending = pending || setTimeout(() => { pending = null; if (view.name === "overview") refresh(); }, 500); }

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
    for (const id of ["app", "logout", "nav", "goto"]) $(id).classList.remove("hidden");
    route();
    timer = setInterval(refresh, 2000);
    listen();
  }

  function logout(message) {
    token = "";
    sessionStorage.removeItem("edgery-token");
    clearInterval(timer);
    if (feed) feed.abort();
    feed = null;
    running.clear();
    for (const id of ["app", "logout", "nav", "goto"]) $(id).classList.add("hidden");
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
  $("goto").addEventListener("submit", (ev) => { ev.preventDefault(); const id = $("goto-id").value.trim(); if (id) location.hash = "#/task/" + enc(id); });
  $("search").addEventListener("submit", (ev) => { ev.preventDefault(); search(false); });
  $("search-more").addEventListener("click", () => search(true));
  window.addEventListener("hashchange", () => { if (token) route(); });
  if (token) start();
})();
`;
