// Contract: GET /dashboard in a real browser (headless Chromium through playwright-core), against
// the real dev server, nothing stubbed: the page asks for the token, lists the queues (pausing one
// shows its new state), shows running tasks with their progress, a task page with its canvas drawn
// as a tree, a result search over the queryable backend, and the schedules. Each main view is
// written to docs/screenshots/*.png. Needs Debian's chromium at /usr/bin/chromium (.ci/run installs it).
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { TOKEN, api, apply, baseUrl, chain, chord, putQueue, queueStats, send, sig, sleep, uniq, waitGroup, waitResult } from "./helpers";

const CHROMIUM = process.env.EDGERY_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = resolve(__dirname, "../../docs/screenshots");

describe("dashboard in a browser", () => {
  let browser: Browser;
  const pages: Page[] = [];
  const errors: string[] = [];

  /** A page of its own (its sessionStorage starts empty), errors and off-origin requests recorded. */
  async function open(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    pages.push(page);
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => {
      if (!r.url().startsWith(baseUrl())) errors.push(`request off the origin: ${r.url()}`);
    });
    return page;
  }

  /** Opens the dashboard at `hash` and connects with the dev token. */
  async function connected(hash = "#/"): Promise<Page> {
    const page = await open();
    await page.goto(`${baseUrl()}/dashboard${hash}`);
    await page.fill("#token", TOKEN);
    await page.click("#connect");
    await page.locator("#status", { hasText: "connected" }).waitFor();
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (see .ci/run) or set EDGERY_CHROMIUM`);
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  });

  afterAll(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    // The first test paused `default`: leave it running for the other files.
    await putQueue("default", { paused: false });
    // No view threw, and nothing was fetched from another origin (no CDN, no font, no beacon).
    expect(errors).toEqual([]);
  });

  it("asks for the token, shows the default queue, and pauses it", async () => {
    const page = await open();
    await page.goto(`${baseUrl()}/dashboard`);
    await page.locator("#token").waitFor({ state: "visible" });
    expect(await page.locator("#app").isVisible()).toBe(false);

    await page.fill("#token", "wrong-token");
    await page.click("#connect");
    await page.locator("#login-error", { hasText: "not accepted" }).waitFor();

    await page.fill("#token", TOKEN);
    await page.click("#connect");
    const row = page.locator('tr[data-queue="default"]');
    await row.waitFor({ state: "visible" });
    await expect(row.locator(".state").textContent()).resolves.toBe("running");
    await page.locator("#events-status", { hasText: "live" }).waitFor();
    const h = await send("demo.add", { args: [20, 22] });
    await page.locator(`#events li[data-event="task-succeeded"]`, { hasText: h.id }).waitFor();

    await row.locator("button.pause").click();
    await row.locator(".state", { hasText: "paused" }).waitFor();
    expect((await queueStats("default")).paused).toBe(true);

    await row.locator("button.resume").click();
    await row.locator(".state", { hasText: "running" }).waitFor();
    expect((await queueStats("default")).paused).toBe(false);
  });

  it("overview: a running task with its progress, gone from the list once it succeeds", async () => {
    const page = await connected();
    await page.locator("#events-status", { hasText: "live" }).waitFor();
    const steps = 6;
    // track_started: the worker announces the start (task-started), which is how the page learns of it.
    const h = await send("demo.progress", { args: [steps, 1500], options: { track_started: true } });
    const row = page.locator(`#running-rows tr[data-id="${h.id}"]`);
    await row.waitFor();
    await expect(row.locator("td").first().textContent()).resolves.toBe("demo.progress");
    // The bar reads the task's own meta {current, total}.
    await row.locator(".progress", { hasText: new RegExp(`^[1-${steps}]/${steps} `) }).waitFor();
    await row.locator(".pill", { hasText: "PROGRESS" }).waitFor();
    const shown = (await row.locator(".progress").textContent())!;
    const current = Number(shown.split("/")[0]);
    expect(current).toBeGreaterThanOrEqual(1);
    expect(current).toBeLessThanOrEqual(steps);
    // Some finished work in the feed and the queues for the picture.
    await apply(chord([sig("demo.add", [1, 2]), sig("demo.add", [3, 4])], sig("demo.xsum")));
    await page.locator(`#events li[data-event="task-succeeded"]`, { hasText: "demo.xsum" }).first().waitFor();
    await shot(page, "overview");

    expect((await waitResult(h.id)).result).toBe(steps);
    await row.waitFor({ state: "detached" });
    await page.locator("#running-empty").waitFor({ state: "visible" });
  });

  it("task page: a chord drawn as a tree with k/n, each member linked, the body's result", async () => {
    const h = await apply(chord([sig("demo.add", [1, 2]), sig("demo.add", [3, 4]), sig("demo.sleep", [300])], sig("demo.xsum")));
    const header = h.parent!;
    const body = await waitResult(h.id);
    expect(body.result).toBe(310);
    await waitGroup(header.id);

    const page = await connected(`#/task/${h.id}`);
    const tree = page.locator("#tree");
    const node = tree.locator(`li[data-node="chord"][data-id="${header.id}"]`);
    await node.waitFor();
    await expect(node.locator(".node").first().textContent()).resolves.toBe("chord 3/3");
    const members = node.locator('li[data-node="group"] li[data-node="task"]');
    await expect(members.evaluateAll((ls) => ls.map((l) => l.getAttribute("data-id")))).resolves.toEqual(header.results!.map((m) => m.id));
    await expect(node.locator(`li[data-node="body"] li[data-id="${h.id}"] .pill`).textContent()).resolves.toBe("SUCCESS");
    await expect(page.locator("#task-outcome").textContent()).resolves.toBe("310");
    await expect(page.locator('[data-fact="retries"]').textContent()).resolves.toBe("0");
    expect(await page.locator('[data-fact="runtime"]').textContent()).toMatch(/^\d+\.\d{3} s$/);
    await shot(page, "task");

    // From a header member: its group with the member marked (a result names no chord body, so
    // the body is found only from its own id).
    await members.first().locator("a").click();
    await page.locator(`#tree li[data-node="task"][data-id="${header.results![0]!.id}"] .node.here`).waitFor();
    await expect(page.locator(`#tree li[data-node="group"][data-id="${header.id}"] > .node`).textContent()).resolves.toBe("group 3/3");
  });

  it("task page: a chain in step order with k/n; arguments kept by result_extended; an error", async () => {
    // demo.persist keeps its args (result_extended): the last step receives the chain's value.
    const h = await apply(chain([sig("demo.add", [1, 2]), sig("demo.mul", [3]), sig("demo.persist")]));
    const first = h.parent!.parent!.id;
    expect((await waitResult(h.id)).result).toBe(9);

    const page = await connected(`#/task/${first}`);
    const steps = page.locator('#tree li[data-node="chain"] > ul > li[data-node="task"]');
    await page.locator('#tree li[data-node="chain"] > .node', { hasText: "chain 3/3" }).waitFor();
    await expect(steps.evaluateAll((ls) => ls.map((l) => l.getAttribute("data-id")))).resolves.toEqual([first, h.parent!.id, h.id]);
    await steps.last().locator("a").click();
    await page.locator("#args").waitFor();
    expect(JSON.parse((await page.locator("#args").textContent())!)).toEqual({ args: [9], kwargs: {} });

    const f = await send("demo.fail", { args: ["no luck"] });
    expect((await waitResult(f.id)).state).toBe("FAILURE");
    await page.fill("#goto-id", f.id);
    await page.click("#goto button");
    await expect(page.locator("#error").textContent()).resolves.toBe("DemoError: no luck");
    await expect(page.locator("#task-outcome-title").textContent()).resolves.toBe("Error");
  });

  it("task page: hostile values are shown as text, never run or parsed as HTML", async () => {
    const evil = `<img src=x onerror="globalThis.__pwned=1"><script>globalThis.__pwned=2</script>`;
    const h = await send("demo.identity", { args: [evil] });
    expect((await waitResult(h.id)).result).toBe(evil);
    const page = await connected(`#/task/${h.id}`);
    await expect(page.locator("#result").textContent()).resolves.toBe(JSON.stringify(evil));
    expect(await page.locator("#task-outcome img, #task-outcome script").count()).toBe(0);
    // An id that is markup, in the address: shown as text (an unknown id reads PENDING).
    await page.goto(`${baseUrl()}/dashboard#/task/${encodeURIComponent(evil)}`);
    await page.locator('[data-fact="state"]', { hasText: "PENDING" }).waitFor();
    await expect(page.locator('[data-fact="id"]').textContent()).resolves.toBe(evil);
    expect(await page.locator("#app img, #app script").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("result search: the queryable backend's results for a task, and its refusal of a bad query", async () => {
    const tag = uniq("dash");
    const hs = [await send("demo.persist", { args: [`${tag}-a`] }), await send("demo.persist", { args: [`${tag}-b`] })];
    for (const h of hs) await waitResult(h.id);
    // D1 is written behind the result shard: wait until the API itself finds them.
    for (let found = 0; found < hs.length; ) {
      const res = await api("GET", "/v1/results?task=demo.persist&limit=1000");
      found = hs.filter((h) => res.json.results.some((r: { id: string }) => r.id === h.id)).length;
      if (found < hs.length) await sleep(200);
    }
    const page = await connected("#/results");
    await page.selectOption("#q-state", "SUCCESS");
    await page.fill("#q-task", "demo.persist");
    await page.click("#search button[type=submit]");
    for (const h of hs) await page.locator(`#search-rows tr[data-id="${h.id}"]`).waitFor();
    await expect(page.locator(`#search-rows tr[data-id="${hs[1]!.id}"] td.val`).textContent()).resolves.toBe(JSON.stringify(`${tag}-b`));
    // Newest first, as the API answers.
    const ids = await page.locator("#search-rows tr").evaluateAll((rs) => rs.map((r) => r.getAttribute("data-id")));
    expect(ids.indexOf(hs[1]!.id)).toBeLessThan(ids.indexOf(hs[0]!.id));
    await shot(page, "results");

    await page.fill("#q-since", "yesterday");
    await page.click("#search button[type=submit]");
    await page.locator("#search-error", { hasText: "since: must be" }).waitFor();
    expect(await page.locator("#search-rows tr").count()).toBe(0);
  });

  it("schedules: the app's schedules, delayed tasks and registered tasks, as the server answers them", async () => {
    const schedules = (await api("GET", "/v1/schedules")).json.schedules as { name: string }[];
    const delayed = await api("GET", "/v1/inspect/scheduled");
    const registered = await api("GET", "/v1/inspect/registered");
    const page = await connected("#/schedules");
    if (schedules.length === 0) await page.locator("#schedules-empty").waitFor({ state: "visible" });
    for (const s of schedules) await page.locator(`#schedule-rows tr[data-schedule="${s.name}"]`).waitFor();
    // The inspect routes may not exist on this server: then the page says so instead of failing.
    for (const [res, note, rows] of [[delayed, "#scheduled-note", "#scheduled-rows"], [registered, "#registered-note", "#registered-rows"]] as const) {
      if (res.status === 404) await page.locator(note, { hasText: "Not available" }).waitFor();
      else {
        expect(res.status).toBe(200);
        const n = (res.json.tasks as unknown[]).length;
        if (n === 0) await page.locator(note).waitFor({ state: "visible" });
        else await page.locator(`${rows} tr`).nth(n - 1).waitFor();
      }
    }
    await shot(page, "schedules");
  });
});
