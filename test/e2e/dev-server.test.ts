/**
 * The dev server's own parts (scripts/miniflare-dev/): its command line, which the tests and the
 * bench pass as they passed wrangler dev's, and the D1 migrations it applies at start, against
 * a real D1 database in Miniflare. The rest of this suite runs against the server itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDevArgs } from "../../scripts/miniflare-dev/args.mjs";
import { applyD1Migrations } from "../../scripts/miniflare-dev/d1-migrations.mjs";

describe("miniflare-dev command line", () => {
  it("defaults to wrangler dev's: wrangler.toml, 127.0.0.1:8787, .wrangler/state, watching", () => {
    expect(parseDevArgs([])).toEqual({
      configs: ["wrangler.toml"],
      port: 8787,
      ip: "127.0.0.1",
      persistTo: ".wrangler/state",
      logLevel: "log",
      inspectorPort: undefined,
      vars: {},
      watch: true,
      viaEntry: false,
    });
  });

  it("reads the flags dev-server.mjs and npm run dev pass, in both spellings", () => {
    const args = parseDevArgs([
      "-c", "wrangler.toml", "--config=apps/billing/wrangler.toml",
      "--var", "EDGERY_DEV:true", "--var=URL:http://x:1/a",
      "--port", "0", "--ip=0.0.0.0", "--persist-to", "/tmp/s", "--log-level", "warn", "--inspector-port", "9230", "--no-watch", "--via-entry",
    ]);
    expect(args).toEqual({
      configs: ["wrangler.toml", "apps/billing/wrangler.toml"],
      port: 0,
      ip: "0.0.0.0",
      persistTo: "/tmp/s",
      logLevel: "warn",
      inspectorPort: 9230,
      // The value is everything after the first colon.
      vars: { EDGERY_DEV: "true", URL: "http://x:1/a" },
      watch: false,
      viaEntry: true,
    });
  });

  it.each([
    [["--port", "abc"], /--port: not a port/],
    [["--port", "-1"], /--port/],
    [["--port", "65536"], /out of range/],
    [["--port", "80.5"], /not a port/],
    [["--inspector-port", "0"], /out of range/],
    [["--var", "NOCOLON"], /KEY:VALUE/],
    [["--var", ":value"], /KEY:VALUE/],
    [["--log-level", "loud"], /--log-level/],
    [["--ip", ""], /--ip: empty/],
    [["--persist-to", ""], /--persist-to: empty/],
    [["--remote"], /Unknown option/],
    [["extra"], /unexpected argument/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseDevArgs(argv)).toThrow(message);
  });
});

describe("D1 migrations at start", () => {
  let mf: Miniflare;
  let dir: string;
  beforeAll(async () => {
    mf = new Miniflare({ modules: true, script: "export default { fetch: () => new Response() }", d1Databases: { DB: "dev-server-test" } });
    await mf.ready;
    dir = mkdtempSync(join(tmpdir(), "edgery-migrations-"));
  });
  afterAll(async () => {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies the .sql files in name order once, recorded as wrangler records them", async () => {
    const db = await mf.getD1Database("DB");
    writeFileSync(join(dir, "0002_more.sql"), "INSERT INTO t (v) VALUES ('second');\n-- a comment; with a semicolon\nINSERT INTO t (v) VALUES ('third;');");
    writeFileSync(join(dir, "0001_first.sql"), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t (v) VALUES ('first');");
    writeFileSync(join(dir, "notes.txt"), "not a migration");
    expect(await applyD1Migrations(db, dir, "d1_migrations")).toEqual(["0001_first.sql", "0002_more.sql"]);
    expect((await db.prepare("SELECT v FROM t ORDER BY id").all()).results.map((r) => r.v)).toEqual(["first", "second", "third;"]);
    expect((await db.prepare("SELECT name FROM d1_migrations ORDER BY id").all()).results.map((r) => r.name)).toEqual(["0001_first.sql", "0002_more.sql"]);
    // A restart applies nothing again.
    expect(await applyD1Migrations(db, dir, "d1_migrations")).toEqual([]);
    expect((await db.prepare("SELECT count(*) AS n FROM t").first())?.n).toBe(3);
  });

  it("a failing migration is neither half applied nor recorded, and stops the ones after it", async () => {
    const db = await mf.getD1Database("DB");
    writeFileSync(join(dir, "0003_bad.sql"), "INSERT INTO t (v) VALUES ('fourth');\nINSERT INTO no_such_table VALUES (1);");
    writeFileSync(join(dir, "0004_after.sql"), "INSERT INTO t (v) VALUES ('fifth');");
    await expect(applyD1Migrations(db, dir, "d1_migrations")).rejects.toThrow(/no_such_table/);
    expect((await db.prepare("SELECT v FROM t WHERE v IN ('fourth', 'fifth')").all()).results).toEqual([]);
    expect((await db.prepare("SELECT count(*) AS n FROM d1_migrations").first())?.n).toBe(2);
    rmSync(join(dir, "0003_bad.sql"));
    rmSync(join(dir, "0004_after.sql"));
  });

  it("no migrations directory means nothing to apply; a table name that is not an identifier is refused", async () => {
    const db = await mf.getD1Database("DB");
    expect(await applyD1Migrations(db, join(dir, "missing"), "d1_migrations")).toEqual([]);
    await expect(applyD1Migrations(db, dir, "x; DROP TABLE t")).rejects.toThrow(/not an identifier/);
    expect((await db.prepare("SELECT count(*) AS n FROM t").first())?.n).toBe(3);
  });
});
