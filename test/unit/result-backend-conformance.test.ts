/**
 * Result backends, pure parts: the conformance suite on the in-memory twin (and `none`), the R2
 * pointer, the query parameters of GET /v1/results, cursors, the policy (backend choice) and the
 * D1 schema kept identical to its migration.
 */
import { describe, expect, it } from "vitest";
import { describeResultBackend } from "../results/conformance.js";
import { MemoryBackend } from "../../src/results/memory-backend.js";
import { NoneBackend, decodeCursor, encodeCursor } from "../../src/results/backend.js";
import { DEFAULT_R2_THRESHOLD } from "../../src/protocol/index.js";
import { POINTER_MARK, PointerSigner, chordListKey, isPointer, largeJson, newValueKey, ownedBy, pointedBytes, resolvePointers, valueKey } from "../../src/results/pointer.js";
import { parseResultQuery as parseResultQueryOf } from "../../src/http/result-query.js";
import { D1_SCHEMA } from "../../src/results/d1-schema.js";
import { resultPolicyOf } from "../../src/app/result-policy.js";
import { App } from "../../src/app/app.js";
import { WireError } from "../../src/protocol/index.js";

/** parseResultQuery over a query given as a record (one value per parameter). */
const parseResultQuery = (q: Record<string, string>) => parseResultQueryOf((k) => q[k]);

describeResultBackend("memory twin", () => ({ backend: new MemoryBackend(), stores: true, extended: true, honoursPastExpiry: true }));
describeResultBackend("none", () => ({ backend: new NoneBackend(), stores: false, extended: false, honoursPastExpiry: true }));

describe("R2 pointer", () => {
  const signer = new PointerSigner("test-secret");
  const makePointer = (key: string, bytes: number) => signer.sign(key, bytes);

  it("is a small signed object naming the key and the size, recognised exactly", async () => {
    const p = await makePointer((await valueKey("abc")) + "n1", 2_000_002);
    expect(p).toMatchObject({ $edgery_r2: "value/abc/n1", bytes: 2_000_002 });
    expect(p.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(p)).toContain(POINTER_MARK);
    expect(isPointer(p)).toBe(true);
    expect(isPointer(JSON.parse(JSON.stringify(p)))).toBe(true);
    expect(await signer.verify(JSON.parse(JSON.stringify(p)))).toBe(true);
    expect(isPointer({ ...p, extra: true })).toBe(false);
    expect(isPointer({ $edgery_r2: 1, bytes: 1, sig: "" })).toBe(false);
    expect(isPointer(["$edgery_r2", 1])).toBe(false);
    expect(isPointer(null)).toBe(false);
  });

  it("pointedBytes sums the sizes every pointer inside a value names (what resolving it may read; the GET /v1/results page budget)", async () => {
    const a = await makePointer("value/a/n", 2_000_000);
    const b = await makePointer("value/b/n", 300);
    expect(pointedBytes([[a, 1], { k: { deep: b } }])).toBe(2_000_300);
    expect(pointedBytes([undefined, null, "x", 3, { $edgery_r2: "k", bytes: -5, sig: "s" }, { $edgery_r2: "k", bytes: Infinity, sig: "s" }])).toBe(0);
  });

  it("only edgery's signature over this key and size verifies: a forged or altered pointer is plain data", async () => {
    const p = await makePointer("value/victim/n", 10);
    for (const forged of [
      { $edgery_r2: "value/victim/n", bytes: 10, sig: "x".repeat(43) },
      { ...p, $edgery_r2: "value/other/n" },
      { ...p, bytes: 11 },
      { ...p, sig: p.sig.slice(0, -1) },
      { ...p, sig: "not base64 at all!" },
      await new PointerSigner("another-secret").sign("value/victim/n", 10),
    ]) {
      expect(await signer.verify(forged), JSON.stringify(forged)).toBe(false);
      expect(await resolvePointers([forged], signer, async () => "LOADED")).toEqual([forged]);
    }
  });

  it("each write gets a key of its own, under its owner's prefix only", async () => {
    const a = newValueKey(await valueKey("t1"));
    expect(a).not.toBe(newValueKey(await valueKey("t1")));
    expect(await ownedBy(a, "t1")).toBe(true);
    expect(await ownedBy(a, "t")).toBe(false);
    expect(await ownedBy(newValueKey(await chordListKey("t1")), "t1")).toBe(false);
  });

  it("a task or chord id too long for an R2 key (255 four-byte characters) is named by its hash: every key fits R2's 1,024 bytes, and stays its own (was the id, past the limit)", async () => {
    const long = "😀".repeat(255);
    const key = newValueKey(await valueKey(long));
    expect(key).toMatch(/^value\/#[0-9a-f]{64}\/[0-9a-f-]{36}$/);
    expect(await ownedBy(key, long)).toBe(true);
    expect(await ownedBy(key, `${"😀".repeat(254)}😁`)).toBe(false);
    expect(await ownedBy(key, "#" + key.split("/")[1]!.slice(1))).toBe(false);
    expect(newValueKey(await chordListKey(long))).toMatch(/^chord-header\/#[0-9a-f]{64}\//);
    // The longest id that fits keeps its name, so keys written before stay where they were.
    const fits = "x".repeat(1024 - "value/".length - 37);
    expect(new TextEncoder().encode(newValueKey(await valueKey(fits))).byteLength).toBe(1024);
    expect(await valueKey(fits)).toBe(`value/${fits}/`);
    expect(await valueKey(`${fits}y`)).toMatch(/^value\/#/);
  });

  it("largeJson: only values over the threshold (in UTF-8 bytes of JSON) are large", () => {
    expect(largeJson(null, DEFAULT_R2_THRESHOLD)).toBeNull();
    expect(largeJson(12345, DEFAULT_R2_THRESHOLD)).toBeNull();
    expect(largeJson("x".repeat(1000), DEFAULT_R2_THRESHOLD)).toBeNull();
    expect(largeJson("x".repeat(DEFAULT_R2_THRESHOLD - 2), DEFAULT_R2_THRESHOLD)).toBeNull();
    const big = largeJson("x".repeat(DEFAULT_R2_THRESHOLD - 1), DEFAULT_R2_THRESHOLD);
    expect(big?.bytes).toBe(DEFAULT_R2_THRESHOLD + 1);
    expect(JSON.parse(big!.json)).toHaveLength(DEFAULT_R2_THRESHOLD - 1);
    // Multi-byte characters count as their UTF-8 bytes: 400,000 × "é" is 800,002 bytes.
    expect(largeJson("é".repeat(400_000), 800_001)?.bytes).toBe(800_002);
    expect(largeJson("é".repeat(400_000), 800_002)).toBeNull();
    expect(largeJson({ list: Array.from({ length: 300_000 }, (_, i) => i) }, DEFAULT_R2_THRESHOLD)?.bytes).toBeGreaterThan(DEFAULT_R2_THRESHOLD);
    // Threshold 0 (backend r2): everything goes.
    expect(largeJson(null, 0)).toEqual({ json: "null", bytes: 4 });
    expect(largeJson(7, 0)).toEqual({ json: "7", bytes: 1 });
  });

  it("resolvePointers replaces pointers deeply (a chord body's list) and keeps identity otherwise", async () => {
    const loads: string[] = [];
    const load = async (key: string) => (loads.push(key), `value of ${key}`);
    const plain = [1, { a: [2, 3] }];
    expect(await resolvePointers(plain, signer, load)).toBe(plain);
    const args = [[1, await makePointer("value/a", 10), { k: await makePointer("value/b", 20) }], "x"];
    expect(await resolvePointers(args, signer, load)).toEqual([[1, "value of value/a", { k: "value of value/b" }], "x"]);
    expect(loads.sort()).toEqual(["value/a", "value/b"]);
  });

  it("resolvePointers resolves pointers inside a loaded value (a chord list in R2), a few levels deep", async () => {
    const store: Record<string, unknown> = {
      "value/list": ["small", await makePointer("value/m1", 5)],
      "value/m1": "large",
      "value/loop": await makePointer("value/loop", 1),
    };
    const load = async (key: string) => store[key];
    expect(await resolvePointers([await makePointer("value/list", 30), "tail"], signer, load)).toEqual([["small", "large"], "tail"]);
    // A value that points at itself ends after a bounded number of loads (it stays a pointer).
    expect(await resolvePointers(await makePointer("value/loop", 1), signer, load)).toEqual(await makePointer("value/loop", 1));
  });
});

describe("cursor", () => {
  it("round-trips a position and refuses anything else", () => {
    const c = encodeCursor({ d: 1_767_225_600_000, id: "task-é/1" });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual({ d: 1_767_225_600_000, id: "task-é/1" });
    for (const bad of ["", "not a cursor", "abc", encodeCursor({ d: 1, id: "x" }).slice(0, -3) + "@@", btoa("[1]"), btoa('["x","y"]').replace(/=+$/, "")]) {
      expect(decodeCursor(bad), bad).toBeNull();
    }
  });
});

describe("GET /v1/results cursor padding", () => {
  it("reads a cursor with its base64 = padding as without it, and still refuses a bad one", () => {
    for (const id of ["x", "xy", "task-é/1", "abc"]) {
      const c = encodeCursor({ d: 1_767_225_600_000, id });
      const padded = c + "=".repeat((4 - (c.length % 4)) % 4);
      expect(decodeCursor(padded), padded).toEqual({ d: 1_767_225_600_000, id });
    }
    expect(encodeCursor({ d: 1, id: "x" }).length % 4).not.toBe(0);
    for (const bad of [btoa("[1]"), `${encodeCursor({ d: 1, id: "x" })}===`, "=", "WzEs=ImEiXQ"]) expect(decodeCursor(bad), bad).toBeNull();
  });
});

describe("GET /v1/results query parameters", () => {
  const bad = (q: Record<string, string>, path: string) => {
    try {
      parseResultQuery(q);
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
      expect((err as WireError).code).toBe("invalid_request");
      expect((err as WireError).status).toBe(422);
      expect((err as WireError).path).toBe(path);
      return;
    }
    throw new Error(`accepted ${JSON.stringify(q)}`);
  };

  it("accepts every parameter and defaults limit to 100", () => {
    const c = encodeCursor({ d: 5, id: "z" });
    expect(parseResultQuery({})).toEqual({ filter: { limit: 100 }, cursor: null });
    expect(parseResultQuery({ state: "FAILURE", task: "demo.persist", queue: "default", since: "2026-01-31T12:00:00Z", limit: "7", cursor: c })).toEqual({
      filter: { state: "FAILURE", task: "demo.persist", queue: "default", since: Date.parse("2026-01-31T12:00:00Z"), limit: 7 },
      cursor: c,
    });
    expect(parseResultQuery({ since: "1767225600000" }).filter.since).toBe(1_767_225_600_000);
    expect(parseResultQuery({ state: "", task: "" })).toEqual({ filter: { limit: 100 }, cursor: null });
  });

  it("filters on any name a task may have (1-256 characters: spaces, non-ASCII), not only [A-Za-z0-9._:-]", () => {
    for (const task of ["a b", "rapports.é", "x".repeat(256), "emails/send"]) expect(parseResultQuery({ task }).filter.task).toBe(task);
  });

  it("refuses bad values with 422 invalid_request naming the parameter", () => {
    bad({ state: "BOGUS" }, "state");
    bad({ state: "STARTED" }, "state");
    bad({ task: "x".repeat(257) }, "task");
    bad({ task: "demo.\ud800" }, "task");
    bad({ since: "2026-02-30T00:00:00Z" }, "since");
    bad({ queue: "no spaces" }, "queue");
    bad({ since: "yesterday" }, "since");
    bad({ since: "2026-13-45T99:00:00Z" }, "since");
    bad({ limit: "0" }, "limit");
    bad({ limit: "1001" }, "limit");
    bad({ limit: "ten" }, "limit");
    bad({ cursor: "garbage!" }, "cursor");
  });
});

describe("result policy (backend choice)", () => {
  it("task default wins over route, route over app default; ignore_result means none", () => {
    const app = new App({ name: "t", defaults: { backend: "d1" }, routes: { "r.*": { backend: "r2" } } });
    app.task("plain", () => 1).task("r.routed", () => 1).task("r.own", () => 1, { backend: "kv" }).task("quiet", () => 1, { ignore_result: true });
    app.task("kept", () => 1, { backend: "kv", result_persistent: true, result_extended: true, result_r2_threshold: 10 });
    expect(resultPolicyOf(app, "plain")).toMatchObject({ backend: "d1", toD1: true, persistent: false });
    expect(resultPolicyOf(app, "r.routed")).toMatchObject({ backend: "r2", toD1: false, r2Threshold: 0 });
    expect(resultPolicyOf(app, "r.own")).toMatchObject({ backend: "kv", toD1: false, r2Threshold: DEFAULT_R2_THRESHOLD });
    expect(resultPolicyOf(app, "quiet")).toMatchObject({ backend: "none", toD1: false });
    expect(resultPolicyOf(app, "kept")).toMatchObject({ backend: "kv", toD1: true, persistent: true, extended: true, r2Threshold: 10 });
    // A route added later changes the answer (the cache follows the routes).
    app.route({ plain: { backend: "none" } });
    expect(resultPolicyOf(app, "plain").backend).toBe("none");
  });

  it("an unknown backend fails when the app is built, naming it and where", () => {
    expect(() => new App({ name: "t", defaults: { backend: "redis" } })).toThrow(/app 't' defaults names unknown result backend 'redis' \(known: kv, d1, r2, none\)/);
    expect(() => new App({ name: "t", routes: { "x.*": { backend: "s3" } } })).toThrow(/route 'x\.\*' names unknown result backend 's3'/);
    const app = new App({ name: "t" });
    expect(() => app.task("t.bad", () => 1, { backend: "mongo" })).toThrow(/task 't.bad' names unknown result backend 'mongo'/);
    expect(() => app.route({ "y.*": { backend: "rpc" } })).toThrow(/route 'y\.\*' names unknown result backend 'rpc'/);
    expect(() => app.task("t.thr", () => 1, { result_r2_threshold: -1 })).toThrow(/result_r2_threshold -1/);
  });
});

describe("D1 schema", () => {
  it("the migration file holds exactly the statements the backend runs at first use", async () => {
    // node:fs by a computed name: the root tsconfig has no Node types (the unit run is in Node).
    const fsName = "node:fs";
    const { readFileSync } = (await import(/* @vite-ignore */ fsName)) as { readFileSync(p: URL, enc: string): string };
    const file = readFileSync(new URL("../../migrations/0001_results.sql", (import.meta as unknown as { url: string }).url), "utf8");
    const body = file
      .split("\n")
      .filter((l: string) => !l.startsWith("--"))
      .join("\n");
    expect(body.trim()).toBe(D1_SCHEMA.trim());
    for (const col of ["state", "task", "queue", "date_done"]) expect(D1_SCHEMA).toMatch(new RegExp(`CREATE INDEX IF NOT EXISTS \\w+ ON results \\(${col}`));
  });
});
