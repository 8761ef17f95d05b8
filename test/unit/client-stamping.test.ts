import { describe, expect, it } from "vitest";
import { chain, chord, chunks, group, map, sig, si, type CanvasSignature, type SignatureJSON, type StampingVisitor } from "../../client/index.js";

/** Every task-level node of a wire canvas (leaves, map/chunks nodes and their inner task, callbacks), with a path. */
function leaves(json: SignatureJSON, path = "root"): Array<{ path: string; json: SignatureJSON }> {
  const out: Array<{ path: string; json: SignatureJSON }> = [];
  const kids = (list: unknown, at: string) => ((list as SignatureJSON[] | undefined) ?? []).forEach((c, i) => out.push(...leaves(c, `${at}.${i}`)));
  switch (json.task) {
    case "celery.chain":
    case "celery.group":
      kids(json.kwargs.tasks, `${path}.tasks`);
      break;
    case "celery.chord":
      kids(json.kwargs.header, `${path}.header`);
      out.push(...leaves(json.kwargs.body as SignatureJSON, `${path}.body`));
      break;
    case "celery.map":
    case "celery.starmap":
    case "celery.chunks":
      out.push({ path, json });
      out.push(...leaves(json.kwargs.task as SignatureJSON, `${path}.task`));
      break;
    default:
      out.push({ path, json });
  }
  kids(json.options.link, `${path}.link`);
  kids(json.options.link_error, `${path}.link_error`);
  return out;
}

describe("stamping a signature", () => {
  it("stamp(name, value) writes options.stamps and options.stamped_headers", () => {
    const s = sig("app.tasks.send_email", "user@example.com").stamp("priority", "high");
    expect(s.toJSON().options).toStrictEqual({ stamps: { priority: "high" }, stamped_headers: ["priority"] });
    // a stamp named like an option does not touch the option
    expect(s.options.priority).toBeUndefined();
  });

  it("stamp(name, {k: v}) like the guide's stamp('retry', max_retries=3)", () => {
    const s = sig("demo.add").stamp("priority", "high").stamp("retry", { max_retries: 3 });
    expect(s.options.stamps).toEqual({ priority: "high", retry: { max_retries: 3 } });
    expect(s.options.stamped_headers).toEqual(["priority", "retry"]);
  });

  it("stamp({k: v, ...}) (Celery 5.3's **headers form) stamps several names", () => {
    const s = sig("demo.add").stamp({ tenant: "acme", validation: { strict: true } });
    expect(s.toJSON().options).toEqual({ stamps: { tenant: "acme", validation: { strict: true } }, stamped_headers: ["tenant", "validation"] });
  });

  it("stamping again replaces the value, stamped_headers lists a name once", () => {
    const s = sig("demo.add").stamp("a", 1).stamp("a", 2);
    expect(s.options.stamps).toEqual({ a: 2 });
    expect(s.options.stamped_headers).toEqual(["a"]);
  });

  it("appendStamps keeps old and new values in a list", () => {
    const s = sig("demo.add").stamp("a", 1).stamp("a", 2, { appendStamps: true }).stamp({ a: [3, 4], b: 1 }, { appendStamps: true });
    expect(s.options.stamps).toEqual({ a: [1, 2, 3, 4], b: 1 });
  });

  it("returns a new signature", () => {
    const base = sig("demo.add");
    base.stamp("a", 1);
    expect(base.options.stamps).toBeUndefined();
  });

  it("rejects an empty name", () => {
    expect(() => sig("demo.add").stamp("", 1)).toThrow(TypeError);
  });
});

describe("stamping a canvas reaches every leaf", () => {
  const canvas = () =>
    chain(
      sig("process_data", { data: "input" }).link(sig("log")).linkError(sig("on_error")),
      group(sig("validate", 1), sig("validate", 2)),
      chord([sig("a"), chain(sig("b"), sig("c"))], sig("merge").link(sig("notify"))),
      map("demo.identity", [1]),
      chunks("demo.add", [[1, 2]], 1),
    ).link(sig("done"));

  it("including chord bodies, map/chunks tasks and link/link_error callbacks", () => {
    const json = canvas().stamp("tenant", "acme").toJSON();
    const all = leaves(json);
    expect(all.map((l) => l.path)).toContain("root.tasks.2.body.link.0");
    expect(all.length).toBe(15);
    for (const leaf of all) {
      expect.soft(leaf.json.options.stamps, leaf.path).toEqual({ tenant: "acme" });
      expect.soft(leaf.json.options.stamped_headers, leaf.path).toEqual(["tenant"]);
    }
  });

  it("does not write stamps on the container nodes themselves (Celery passes them down)", () => {
    const json = canvas().stamp("tenant", "acme").toJSON();
    expect(json.options.stamps).toBeUndefined();
    expect((json.kwargs.tasks as SignatureJSON[])[1]?.options.stamps).toBeUndefined();
  });

  it("keeps a leaf's own stamps of other names, and appends with appendStamps", () => {
    const c = chain(sig("a").stamp("x", 1), sig("b")).stamp("x", 2, { appendStamps: true }).stamp("y", 3);
    const [a, b] = c.toJSON().kwargs.tasks as SignatureJSON[];
    expect(a?.options.stamps).toEqual({ x: [1, 2], y: 3 });
    expect(b?.options.stamps).toEqual({ x: 2, y: 3 });
  });

  it("the guide's callback stamping: validate_data.s().stamp('validation', strict=True) in a chain", () => {
    const workflow = chain(sig("process_data", { data: "input" }), sig("validate_data").stamp("validation", { strict: true }), sig("save_data"));
    const tasks = workflow.toJSON().kwargs.tasks as SignatureJSON[];
    expect(tasks.map((t) => t.options.stamps)).toEqual([undefined, { validation: { strict: true } }, undefined]);
  });
});

describe("StampingVisitor", () => {
  it("calls the hooks and applies per-node stamps", () => {
    const calls: string[] = [];
    const visitor: StampingVisitor = {
      onSignature: (s: CanvasSignature) => {
        calls.push(`sig:${s.task}`);
        return { visited: s.task };
      },
      onGroupStart: () => {
        calls.push("group");
        return { in_group: true };
      },
      onChainStart: () => {
        calls.push("chain");
        return { in_chain: true };
      },
      onChordHeaderStart: () => {
        calls.push("header");
        return { in_header: true };
      },
      onChordBody: () => {
        calls.push("body");
        return { is_body: true };
      },
      onCallback: (cb: CanvasSignature) => {
        calls.push(`callback:${cb.task}`);
        return { is_callback: true };
      },
      onErrback: () => {
        calls.push("errback");
        return { is_errback: true };
      },
    };
    const canvas = chain(group(sig("g1")), chord([sig("h1")], sig("body")), sig("last").link(sig("cb")).linkError(si("eb")));
    const tasks = canvas.stamp(visitor).toJSON().kwargs.tasks as SignatureJSON[];
    const [g, c, last] = tasks;
    const g1 = (g?.kwargs.tasks as SignatureJSON[])[0];
    const h1 = (c?.kwargs.header as SignatureJSON[])[0];
    const body = c?.kwargs.body as SignatureJSON;
    expect(g1?.options.stamps).toEqual({ in_chain: true, in_group: true, visited: "g1" });
    expect(h1?.options.stamps).toEqual({ in_chain: true, in_header: true, visited: "h1" });
    expect(body.options.stamps).toEqual({ in_chain: true, in_header: true, is_body: true, visited: "body" });
    expect(last?.options.stamps).toEqual({ in_chain: true, visited: "last" });
    const cb = (last?.options.link as SignatureJSON[])[0];
    const eb = (last?.options.link_error as SignatureJSON[])[0];
    expect(cb?.options.stamps).toEqual({ in_chain: true, is_callback: true, visited: "cb" });
    expect(eb?.options.stamps).toEqual({ in_chain: true, is_errback: true, visited: "eb" });
    expect(calls).toEqual(["chain", "group", "sig:g1", "header", "sig:h1", "body", "sig:body", "sig:last", "callback:cb", "sig:cb", "errback", "sig:eb"]);
  });

  it("a visitor without chord hooks stamps a chord's header through onGroupStart/onGroupEnd, given the header as a group (Celery's defaults)", () => {
    const seen: string[] = [];
    const visitor: StampingVisitor = {
      onGroupStart: (g) => {
        seen.push(`start:${(g as unknown as { tasks: CanvasSignature[] }).tasks.map((t) => t.task).join(",")}`);
        return { in_group: true };
      },
      onGroupEnd: () => void seen.push("end"),
    };
    const c = chord([sig("h1"), sig("h2")], sig("body")).stamp(visitor).toJSON();
    for (const member of c.kwargs.header as SignatureJSON[]) expect(member.options.stamps).toEqual({ in_group: true });
    // As in Celery, the header's stamps reach the body too.
    expect((c.kwargs.body as SignatureJSON).options.stamps).toEqual({ in_group: true });
    expect(seen).toEqual(["start:h1,h2", "end"]);
  });

  it("a visitor returning nothing leaves the canvas as it was", () => {
    const c = group(sig("a"), sig("b"));
    expect(c.stamp({ onSignature: () => undefined }).toJSON()).toStrictEqual(c.toJSON());
  });
});
