/**
 * API tokens and their scopes: what callers present (checked in src/http/auth.ts), and what this
 * Worker presents to a peer app over the `service` and `http` brokers.
 *
 * Configuration (secrets, never [vars]):
 * - `EDGERY_TOKEN`: one token with every scope (`admin`), as before scopes existed.
 * - `EDGERY_TOKENS`: a JSON object, token → scope or list of scopes, e.g.
 *   `{"tok_ingest_…": "enqueue", "tok_grafana_…": ["read"], "tok_billing_…": "peer"}`.
 * Both may be set (the union holds). With neither, local dev (`EDGERY_DEV=true`) has
 * {@link DEV_TOKENS}; a deployed Worker has none (the API fails closed).
 */
import type { EdgeryEnv } from "./env.js";

/** The scopes a token may carry. */
export const SCOPES = ["enqueue", "read", "admin", "peer"] as const;
/**
 * One of {@link SCOPES}: `enqueue` (the routes that send tasks), `read` (every GET under /v1),
 * `admin` (everything), `peer` (another edgery app: the internal broker endpoint only).
 */
export type Scope = (typeof SCOPES)[number];

/** The tokens of local dev when none is configured (the contract's three, and the peer apps'). */
export const DEV_TOKENS: Readonly<Record<string, readonly Scope[]>> = {
  "dev-token": ["admin"],
  "dev-enqueue": ["enqueue"],
  "dev-read": ["read"],
  "dev-peer": ["peer"],
};

/** The token a broker sends to a peer app in local dev when its `token_env` is not set. */
export const DEV_PEER_TOKEN = "dev-peer";

/** The configured tokens, or why the configuration cannot be used. */
export type TokenTable = { tokens: ReadonlyMap<string, ReadonlySet<Scope>> } | { problem: string };

/** True in local dev. */
function isDev(env: EdgeryEnv): boolean {
  return env.EDGERY_DEV === "true";
}

/** Parses `EDGERY_TOKENS`; the problem never quotes a token. */
function parseTokens(raw: string): Map<string, Set<Scope>> | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return "EDGERY_TOKENS is not JSON (expected an object: token → scope or list of scopes)";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "EDGERY_TOKENS must be a JSON object: token → scope or list of scopes";
  const out = new Map<string, Set<Scope>>();
  for (const [i, [token, scopes]] of Object.entries(value as Record<string, unknown>).entries()) {
    const list = typeof scopes === "string" ? [scopes] : scopes;
    if (token.trim() !== token || token === "" || /\s/.test(token)) return `EDGERY_TOKENS: token number ${i + 1} is empty or has white space`;
    if (!Array.isArray(list) || list.length === 0 || list.some((s) => !(SCOPES as readonly unknown[]).includes(s))) {
      return `EDGERY_TOKENS: token number ${i + 1} needs a scope or a non-empty list of scopes among ${SCOPES.join(", ")}`;
    }
    out.set(token, new Set(list as Scope[]));
  }
  return out;
}

/** Parsed tables by their configuration (secrets do not change while an isolate lives). */
const tables = new Map<string, TokenTable>();

/** The tokens in force for this Worker's configuration. */
export function tokenTable(env: EdgeryEnv): TokenTable {
  const key = JSON.stringify([env.EDGERY_TOKEN ?? null, env.EDGERY_TOKENS ?? null, isDev(env)]);
  let table = tables.get(key);
  if (!table) {
    table = buildTable(env);
    tables.set(key, table);
  }
  return table;
}

function buildTable(env: EdgeryEnv): TokenTable {
  const tokens = new Map<string, Set<Scope>>();
  if (env.EDGERY_TOKENS) {
    const parsed = parseTokens(env.EDGERY_TOKENS);
    if (typeof parsed === "string") return { problem: parsed };
    for (const [t, s] of parsed) tokens.set(t, s);
  }
  if (env.EDGERY_TOKEN) tokens.set(env.EDGERY_TOKEN, new Set<Scope>([...(tokens.get(env.EDGERY_TOKEN) ?? []), "admin"]));
  if (tokens.size === 0 && isDev(env)) for (const [t, s] of Object.entries(DEV_TOKENS)) tokens.set(t, new Set(s));
  if (tokens.size === 0) return { problem: "no API token is configured (set the EDGERY_TOKEN or EDGERY_TOKENS secret)" };
  return { tokens };
}

/** True when `scopes` grant `need` (`admin` grants everything). */
export function grants(scopes: ReadonlySet<Scope>, need: Scope): boolean {
  return scopes.has("admin") || scopes.has(need);
}

/**
 * The token this Worker sends to a peer app (`service`/`http` broker): the secret named by the
 * route's `token_env`, else `dev-peer` in local dev, else none.
 */
export function peerToken(env: EdgeryEnv, tokenEnv: string): string | undefined {
  const v = (env as unknown as Record<string, unknown>)[tokenEnv];
  if (typeof v === "string" && v !== "") return v;
  return isDev(env) ? DEV_PEER_TOKEN : undefined;
}

/**
 * The secret edgery signs its own internal values with (R2 pointers): `EDGERY_SIGNING_KEY`, else
 * the configured tokens (`EDGERY_TOKEN`, else the `EDGERY_TOKENS` text), else in local dev a fixed
 * dev secret; undefined when nothing secret is configured.
 */
export function signingSecret(env: EdgeryEnv): string | undefined {
  return env.EDGERY_SIGNING_KEY || env.EDGERY_TOKEN || env.EDGERY_TOKENS || (isDev(env) ? "dev-token" : undefined);
}
