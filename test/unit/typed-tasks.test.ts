// Typed tasks (app.task with a Standard Schema of the arguments): the API refuses a call whose
// arguments do not pass with 422 at the path into `args`, before anything is sent; and the task
// function validates again before `run`, giving it the schema's output.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createApi } from "../../src/http/api.js";
import { App } from "../../src/app/app.js";
import type { TaskContext } from "../../src/app/task-context.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";

function makeApp() {
  return new App({ name: "typed" })
    .task("emails.send", {
      args: z.tuple([z.email()]),
      kwargs: z.object({ template: z.string().optional() }),
      run: async (_ctx, [to], { template }) => ({ sent: to, template: template ?? "default" }),
    })
    .task("math.double", { args: z.tuple([z.coerce.number()]), run: (_ctx, [n]) => n * 2 })
    .task("users.check", { args: z.tuple([z.string().refine(async (s) => s !== "taken", "name taken")]), run: () => true })
    .task("plain.echo", (_ctx, args) => args);
}

// No binding is reached: the arguments are refused before anything is enqueued.
const env = { EDGERY_TOKEN: "t" } as EdgeryEnv;
async function post(path: string, body: unknown): Promise<{ status: number; error?: { code: string; path?: string; message: string } }> {
  const res = await createApi(makeApp()).request(path, { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: JSON.stringify(body) }, env);
  return { status: res.status, ...((await res.json()) as { error?: { code: string; path?: string; message: string } }) };
}
const t = (task: string, args: unknown[]) => ({ task, args, kwargs: {}, options: {}, subtask_type: null, immutable: false });

describe("typed tasks through the API", () => {
  it("POST /v1/tasks/:name with a bad argument: 422 invalid_signature at args.<index>", async () => {
    const r = await post("/v1/tasks/emails.send", { args: ["not an email"] });
    expect([r.status, r.error?.code, r.error?.path]).toEqual([422, "invalid_signature", "args.0"]);
    expect(r.error?.message).toMatch(/emails\.send/);
  });

  it("a missing argument, a wrong kwarg, an async refinement: each at its path", async () => {
    expect((await post("/v1/tasks/emails.send", {})).error?.path).toBe("args");
    expect((await post("/v1/tasks/emails.send", { args: ["a@example.com"], kwargs: { template: 7 } })).error?.path).toBe("kwargs.template");
    expect((await post("/v1/tasks/users.check", { args: ["taken"] })).error).toMatchObject({ code: "invalid_signature", path: "args.0", message: expect.stringMatching(/name taken/) });
  });

  it("inside a canvas: the path of the signature in the body, then args", async () => {
    const group = { task: "celery.group", args: [], kwargs: { tasks: [t("math.double", [1]), t("emails.send", ["x"])] }, options: {}, subtask_type: "group", immutable: false };
    expect((await post("/v1/apply", group)).error?.path).toBe("kwargs.tasks.1.args.0");
    const bulk = { signatures: [t("plain.echo", [1]), t("emails.send", [42])] };
    expect((await post("/v1/apply/bulk", bulk)).error?.path).toBe("signatures.1.args.0");
  });

  it("a chain step after the first gets its parent's result at run time: not checked when sent", async () => {
    const chain = { task: "celery.chain", args: [], kwargs: { tasks: [t("emails.send", ["bad"]), t("math.double", [])] }, options: {}, subtask_type: "chain", immutable: false };
    // The first step is refused; the second (args [] now, [parent] when it runs) is not looked at.
    expect((await post("/v1/apply", chain)).error?.path).toBe("kwargs.tasks.0.args.0");
  });
});

describe("typed tasks when they run", () => {
  const ctx = {} as TaskContext;

  it("run gets the schema's output (coerced), and a bad call fails with a TypeError naming the path", async () => {
    const app = makeApp();
    expect(await app.get("math.double")!.fn(ctx, ["21"], {})).toBe(42);
    await expect(Promise.resolve(app.get("emails.send")!.fn(ctx, ["nope"], {}))).rejects.toThrow(/^task 'emails\.send': args\.0: /);
    await expect(Promise.resolve(app.get("emails.send")!.fn(ctx, ["a@example.com"], { template: "w" }))).resolves.toEqual({ sent: "a@example.com", template: "w" });
  });

  it("an untyped task has no schemas and is called as before", async () => {
    const app = makeApp();
    expect(app.get("plain.echo")!.schemas).toBeUndefined();
    expect(await app.get("plain.echo")!.fn(ctx, [1, "x"], {})).toEqual([1, "x"]);
  });
});
