// Unit tests of src/app/routing.ts: Celery's task_routes (exact, glob, default queue).
import { describe, expect, it } from "vitest";
import { compileRoutes, findRoute, globToRegExp, resolveRoute } from "../../src/app/routing.js";

describe("compileRoutes / findRoute", () => {
  const table = compileRoutes({
    "reports.*": { queue: "reports" },
    "reports.daily": { queue: "daily", priority: 7 },
    "img.resize?": { queue: "images" },
    "demo.mul": { queue: "math" },
  });

  it("splits exact names from glob patterns", () => {
    expect([...table.exact.keys()].sort()).toStrictEqual(["demo.mul", "reports.daily"]);
    expect(table.patterns.map((p) => p.pattern)).toStrictEqual(["reports.*", "img.resize?"]);
  });

  it("an exact route beats a glob that also matches", () => {
    expect(findRoute(table, "reports.daily")).toStrictEqual({ queue: "daily", priority: 7 });
  });

  it("glob `reports.*` matches any run after the dot, including dots", () => {
    expect(findRoute(table, "reports.weekly")?.queue).toBe("reports");
    expect(findRoute(table, "reports.a.b")?.queue).toBe("reports");
    expect(findRoute(table, "reports.")?.queue).toBe("reports");
  });

  it("the dot in a glob is literal", () => {
    expect(findRoute(table, "reportsXweekly")).toBeUndefined();
    expect(findRoute(table, "reports")).toBeUndefined();
  });

  it("globs are anchored at both ends", () => {
    expect(findRoute(table, "my.reports.weekly")).toBeUndefined();
  });

  it("`?` is exactly one character", () => {
    expect(findRoute(table, "img.resize2")?.queue).toBe("images");
    expect(findRoute(table, "img.resize")).toBeUndefined();
    expect(findRoute(table, "img.resize22")).toBeUndefined();
  });

  it("no match → undefined", () => {
    expect(findRoute(table, "demo.add")).toBeUndefined();
  });

  it("the first matching glob (in declaration order) wins", () => {
    const t = compileRoutes({ "a.*": { queue: "first" }, "a.b*": { queue: "second" } });
    expect(findRoute(t, "a.bc")?.queue).toBe("first");
  });
});

describe("globToRegExp escapes regex metacharacters", () => {
  it.each([
    ["a+b.*", "a+b.x", "aab.x"],
    ["x(y)*", "x(y)z", "xyz"],
    ["p|q*", "p|q1", "p"],
    ["$a^*", "$a^b", "a"],
    ["br[ac]e*", "br[ac]e1", "brae1"],
    ["c{2}*", "c{2}x", "ccx"],
    ["back\\slash*", "back\\slash!", "backslash!"],
  ])("%s matches %s literally, not %s", (glob, yes, no) => {
    const re = globToRegExp(glob);
    expect(re.test(yes)).toBe(true);
    expect(re.test(no)).toBe(false);
  });

  it("a glob with metacharacters routes through compileRoutes", () => {
    const t = compileRoutes({ "tasks(v2).*": { queue: "v2" } });
    expect(findRoute(t, "tasks(v2).run")?.queue).toBe("v2");
    expect(findRoute(t, "tasksv2.run")).toBeUndefined();
  });
});

describe("resolveRoute", () => {
  const table = compileRoutes({ "demo.mul": { queue: "math", priority: 4 }, "reports.*": { queue: "reports" } });

  it("default queue `default` and priority 0 when nothing matches", () => {
    expect(resolveRoute(table, "demo.add", {})).toStrictEqual({ queue: "default", priority: 0 });
  });

  it("the route's queue and priority", () => {
    expect(resolveRoute(table, "demo.mul", {})).toStrictEqual({ queue: "math", priority: 4 });
    expect(resolveRoute(table, "reports.x", {})).toStrictEqual({ queue: "reports", priority: 0 });
  });

  it("explicit options.queue and options.priority win over the route", () => {
    expect(resolveRoute(table, "demo.mul", { queue: "fast" })).toStrictEqual({ queue: "fast", priority: 4 });
    expect(resolveRoute(table, "demo.mul", { priority: 9 })).toStrictEqual({ queue: "math", priority: 9 });
    expect(resolveRoute(table, "demo.mul", { priority: 0 })).toStrictEqual({ queue: "math", priority: 0 });
  });

  it("task defaults apply when no route sets the value", () => {
    expect(resolveRoute(table, "demo.add", {}, { queue: "own", priority: 2 })).toStrictEqual({ queue: "own", priority: 2 });
    expect(resolveRoute(table, "reports.x", {}, { queue: "own", priority: 2 })).toStrictEqual({ queue: "reports", priority: 2 });
  });
});

describe("rate limits from routes and task defaults", () => {
  it("a route's rate_limit/rate_limit_key reach the resolution; a task's own defaults win", () => {
    const table = compileRoutes({ "emails.*": { queue: "email", rate_limit: "10/s", rate_limit_key: "tenant" } });
    expect(resolveRoute(table, "emails.send", {})).toMatchObject({ queue: "email", rate_limit: "10/s", rate_limit_key: "tenant" });
    expect(resolveRoute(table, "emails.send", {}, { rate_limit: "1/m" })).toMatchObject({ rate_limit: "1/m", rate_limit_key: "tenant" });
    expect(resolveRoute(table, "other", {})).not.toHaveProperty("rate_limit");
  });
});

describe("a route's routing_key", () => {
  it("reaches the resolution (it used to be dropped)", () => {
    const table = compileRoutes({ "emails.*": { queue: "email", routing_key: "email.send" } });
    expect(resolveRoute(table, "emails.send", {})).toStrictEqual({ queue: "email", priority: 0, routing_key: "email.send" });
    expect(resolveRoute(table, "other", {})).not.toHaveProperty("routing_key");
  });
});
