// Applies a D1 database's migrations at start, as `wrangler d1 migrations apply --local` does:
// the `.sql` files of `migrations_dir` in name order, each one recorded in the same table
// (`migrations_table`, default d1_migrations), so the two agree on what is applied.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_splitSqlQuery as splitSqlQuery } from "wrangler";

/** wrangler's migrations table (same columns, so `wrangler d1 migrations list --local` reads it). */
const createTable = (table) => `CREATE TABLE IF NOT EXISTS ${table}(
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/**
 * Runs the migrations of `dir` not yet recorded in `table`, each in one batch (one transaction)
 * with its record. A missing directory means no migrations.
 * @param {D1Database} db  a binding (Miniflare's getD1Database)
 * @param {string} dir
 * @param {string} table
 * @returns {Promise<string[]>} the names applied now
 */
export async function applyD1Migrations(db, dir, table) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`migrations_table: not an identifier: ${JSON.stringify(table)}`);
  if (!existsSync(dir)) return [];
  await db.prepare(createTable(table)).run();
  const applied = new Set((await db.prepare(`SELECT name FROM ${table}`).all()).results.map((r) => r.name));
  const names = readdirSync(dir).filter((n) => n.endsWith(".sql")).sort();
  const done = [];
  for (const name of names) {
    if (applied.has(name)) continue;
    const statements = splitSqlQuery(readFileSync(join(dir, name), "utf8"))
      .filter((s) => s.trim() !== "")
      .map((s) => db.prepare(s));
    await db.batch([...statements, db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).bind(name)]);
    done.push(name);
  }
  return done;
}
