/**
 * Bearer-token auth with scopes, failing closed: no usable token configuration (outside local
 * dev) → 503 `not_configured`; a missing or unknown token → 401 `unauthorized`; a known token
 * without the scope a route needs → 403 `forbidden`.
 */
import type { MiddlewareHandler } from "hono";
import { WireError } from "../protocol/index.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { grants, tokenTable, type Scope, type TokenTable } from "../runtime/tokens.js";
import type { ApiEnv } from "./types.js";

const encoder = new TextEncoder();

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));
}

/** Digests of the configured tokens, per table (so that each is hashed once per isolate). */
const digests = new WeakMap<TokenTable, Promise<Array<[Uint8Array, ReadonlySet<Scope>]>>>();

/**
 * The scopes of the presented token. Compared in constant time: digests of equal length, every
 * configured token compared in full, no early exit on a match.
 */
async function scopesOf(table: { tokens: ReadonlyMap<string, ReadonlySet<Scope>> } & TokenTable, token: string): Promise<ReadonlySet<Scope> | undefined> {
  let known = digests.get(table);
  if (!known) {
    known = Promise.all([...table.tokens].map(async ([t, s]): Promise<[Uint8Array, ReadonlySet<Scope>]> => [await digest(t), s]));
    digests.set(table, known);
  }
  const presented = await digest(token);
  let found: ReadonlySet<Scope> | undefined;
  for (const [d, scopes] of await known) {
    let diff = 0;
    for (let i = 0; i < d.length; i++) diff |= d[i]! ^ presented[i]!;
    if (diff === 0) found = scopes;
  }
  return found;
}

/** The scopes of the request's bearer token. @throws `not_configured` or `unauthorized`. */
export async function authenticate(env: EdgeryEnv, header: string | null | undefined): Promise<ReadonlySet<Scope>> {
  const table = tokenTable(env);
  if ("problem" in table) throw new WireError("not_configured", table.problem);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const scopes = match ? await scopesOf(table, match[1]!) : undefined;
  if (!scopes) throw new WireError("unauthorized", "missing or unknown bearer token");
  return scopes;
}

/** @throws `forbidden` unless `scopes` grant `need`. */
export function authorize(scopes: ReadonlySet<Scope>, need: Scope): void {
  if (!grants(scopes, need)) throw new WireError("forbidden", `this token lacks the '${need}' scope this route needs`);
}

/** Authenticates the request (401/503 before routing) and keeps its scopes for the routes. */
export const authenticated: MiddlewareHandler<ApiEnv> = async (c, next) => {
  c.set("scopes", await authenticate(c.env, c.req.header("authorization")));
  await next();
};

/** A route's guard: the token must carry `scope` (403 otherwise). */
export function need(scope: Scope): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    authorize(c.get("scopes") ?? new Set(), scope);
    await next();
  };
}
