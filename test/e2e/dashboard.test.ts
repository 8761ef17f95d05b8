// Contract: GET /dashboard in a real browser (headless Chromium through playwright-core):
// the page asks for the token, then lists the queues, and pausing a queue shows its new state.
// Needs Debian's chromium at /usr/bin/chromium (.ci/run installs it).
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { TOKEN, baseUrl, putQueue, queueStats, send } from "./helpers";

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

describe("dashboard in a browser", () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (see .ci/run) or set EDGERY_CHROMIUM`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    // The test paused `default`: leave it running for the other files.
    await putQueue("default", { paused: false });
  });

  it("asks for the token, shows the default queue, and pauses it", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
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
    await page.screenshot({ path: "/tmp/edgery-dashboard.png", fullPage: true });

    await row.locator("button.resume").click();
    await row.locator(".state", { hasText: "running" }).waitFor();
    expect((await queueStats("default")).paused).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});
