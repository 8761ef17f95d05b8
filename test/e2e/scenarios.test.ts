// The Celery guide's two "Practical Examples", run end to end through the TypeScript client
// against `npm run dev` (examples/scenarios/).
import { describe, expect, inject, it } from "vitest";
import { createClient } from "../../client/index.js";
import { runDataPipeline } from "../../examples/scenarios/data-pipeline.js";
import { runEmailCampaign } from "../../examples/scenarios/email-campaign.js";
import { TOKEN } from "./helpers.js";

const client = createClient({ url: inject("baseUrl"), token: TOKEN });

describe("practical examples of the guide", () => {
  it("data pipeline: chord of processors → merge_results → send_notification", async () => {
    const out = await runDataPipeline(client, ["a.txt", "b.txt", "c.txt", "d.txt"]);
    expect(out).toStrictEqual({ notified: true, count: 4 });
  });

  it("the pipeline's merge step got the processed files in header order", async () => {
    const files = ["z.txt", "y.txt", "x.txt"];
    const { dataPipeline } = await import("../../examples/scenarios/data-pipeline.js");
    const handle = await client.apply(dataPipeline(files));
    await handle.get({ timeout: 30_000 });
    const merge = handle.parent;
    expect(merge).toBeDefined();
    const merged = (await merge!.get({ timeout: 30_000 })) as { merged: Array<{ file: string }>; count: number };
    expect(merged.merged.map((m) => m.file)).toStrictEqual(files);
    expect(merged.count).toBe(3);
  });

  it("email campaign: validations (chord header) → a group of sends (chord body) → log", async () => {
    const out = await runEmailCampaign(client, ["u1@example.com", "bad-address", "u2@example.com"]);
    expect(out).toStrictEqual({ sent: ["u1@example.com", "u2@example.com"], skipped: ["bad-address"] });
  });
});
