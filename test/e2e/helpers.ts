/**
 * Helpers for the black-box e2e suite. Everything here speaks the public HTTP contract
 * (docs/http-api.md) and nothing else: no imports from src/.
 */
import { expect, inject } from "vitest";

export const TOKEN = "dev-token";
export const READY_STATES = ["SUCCESS", "FAILURE", "REVOKED"] as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
// Loose shapes: tests assert on fields, these types only help autocompletion.
export interface Handle {
  id: string;
  kind: "task" | "group";
  results?: Handle[];
  parent?: Handle;
}
export interface TaskError {
  type: string;
  message: string;
}
export interface Result {
  id: string;
  state: string;
  result: any;
  meta: any;
  error: TaskError | null;
  task: string | null;
  queue: string | null;
  retries: number;
  parent_id: string | null;
  group_id: string | null;
  children: any[];
  started_at: string | null;
  date_done: string | null;
  worker?: string;
  [key: string]: any;
}
export interface GroupResult {
  id: string;
  results: Result[];
  total: number;
  completed: number;
  ready: boolean;
  successful: boolean;
  failed: boolean;
}
export interface QueueStats {
  name: string;
  waiting: number;
  delayed: number;
  leased: number;
  paused: boolean;
  concurrency: number;
  prefetch: number;
  completed: number;
  failed: number;
}
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}
export interface ApiOptions {
  /** Token to send; `null` sends no Authorization header. Default `dev-token`. */
  token?: string | null;
  /** Send this exact body text instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export function baseUrl(): string {
  return inject("baseUrl");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One HTTP call to the API; `json` is the parsed body or `undefined` when it is not JSON. */
export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  opts: ApiOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  let payload: string | undefined;
  if (opts.rawBody !== undefined) payload = opts.rawBody;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  let res: Response;
  try {
    res = await fetch(baseUrl() + path, { method, headers, body: payload });
  } catch (e) {
    // Not an assertion about the API: the server is gone (crashed, or restarted by wrangler's
    // file watcher while src/ was being edited). Say so, with the log to read.
    const cause = (e as any)?.cause?.code ?? (e as any)?.cause?.message ?? String(e);
    const log = inject("serverLog");
    throw new Error(`${method} ${path}: dev server unreachable (${cause})${log ? `; server log: ${log}` : ""}`);
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Short description of a response for assertion messages. */
export function describeRes(res: ApiResponse): string {
  return `${res.status} ${res.text.slice(0, 500)}`;
}

/** Asserts an error response of the contract's shape; returns its `error` object. */
export function expectError(res: ApiResponse, status: number, code: string, path?: string) {
  expect(res.status, describeRes(res)).toBe(status);
  expect(res.json, describeRes(res)).toBeTypeOf("object");
  expect(res.json?.error?.code, describeRes(res)).toBe(code);
  expect(typeof res.json?.error?.message, describeRes(res)).toBe("string");
  if (path !== undefined) expect(res.json?.error?.path, describeRes(res)).toBe(path);
  return res.json.error as { code: string; message: string; path?: string };
}

let counter = 0;
/** A name unique to this run and call: `${prefix}-<time>-<random>-<n>` (lowercase, digits, '-'). */
export function uniq(prefix = "t"): string {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}-${rand}-${counter}`;
}
export const uniqQueue = () => uniq("t");
export const uniqId = () => uniq("e2e-id");

/** Builds a plain signature in Celery's full JSON shape. */
export function sig(task: string, args: Json[] = [], options: Record<string, any> = {}, extra: Record<string, any> = {}) {
  return { task, args, kwargs: {}, options, subtask_type: null, immutable: false, ...extra };
}
/** An immutable signature (ignores the parent's result). */
export function isig(task: string, args: Json[] = [], options: Record<string, any> = {}) {
  return sig(task, args, options, { immutable: true });
}
export function chain(tasks: any[], options: Record<string, any> = {}) {
  return { task: "celery.chain", args: [], kwargs: { tasks }, options, subtask_type: "chain", immutable: false };
}
export function group(tasks: any[], options: Record<string, any> = {}) {
  return { task: "celery.group", args: [], kwargs: { tasks }, options, subtask_type: "group", immutable: false };
}
export function chord(header: any[], body: any, options: Record<string, any> = {}) {
  return {
    task: "celery.chord",
    args: [],
    kwargs: { header, body, kwargs: {} },
    options,
    subtask_type: "chord",
    immutable: false,
  };
}
export function map(task: any, it: Json[], options: Record<string, any> = {}) {
  return { task: "celery.map", args: [], kwargs: { task, it }, options, subtask_type: null, immutable: true };
}
export function starmap(task: any, it: Json[][], options: Record<string, any> = {}) {
  return { task: "celery.starmap", args: [], kwargs: { task, it }, options, subtask_type: null, immutable: true };
}
export function chunks(task: any, it: Json[][], n: number, options: Record<string, any> = {}) {
  return { task: "celery.chunks", args: [], kwargs: { task, it, n }, options, subtask_type: null, immutable: true };
}

/** POST /v1/tasks/:name; asserts 202 and returns the handle. */
export async function send(name: string, body: { args?: Json[]; kwargs?: Record<string, Json>; options?: Record<string, any> } = {}): Promise<Handle> {
  const res = await api<Handle>("POST", `/v1/tasks/${encodeURIComponent(name)}`, body);
  expect(res.status, describeRes(res)).toBe(202);
  expect(res.json?.id, describeRes(res)).toBeTypeOf("string");
  return res.json;
}

/** POST /v1/apply; asserts 202 and returns the handle. */
export async function apply(body: unknown): Promise<Handle> {
  const res = await api<Handle>("POST", "/v1/apply", body);
  expect(res.status, describeRes(res)).toBe(202);
  expect(res.json?.id, describeRes(res)).toBeTypeOf("string");
  return res.json;
}

/** Plain GET /v1/results/:id (no wait). */
export async function getResult(id: string): Promise<Result> {
  const res = await api<Result>("GET", `/v1/results/${encodeURIComponent(id)}`);
  expect(res.status, describeRes(res)).toBe(200);
  return res.json;
}

export function isReady(state: string | undefined): boolean {
  return (READY_STATES as readonly string[]).includes(state ?? "");
}

/** Reads a result with `?wait=30` until it is in a ready state (SUCCESS, FAILURE, REVOKED). */
export async function waitResult(id: string, timeoutMs = 55_000): Promise<Result> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse<Result> | undefined;
  while (Date.now() < deadline) {
    const waitS = Math.max(1, Math.min(30, Math.floor((deadline - Date.now()) / 1000)));
    const t0 = Date.now();
    last = await api<Result>("GET", `/v1/results/${encodeURIComponent(id)}?wait=${waitS}`);
    expect(last.status, describeRes(last)).toBe(200);
    if (isReady(last.json?.state)) return last.json;
    // A server that does not hold the request must not be hammered.
    if (Date.now() - t0 < 200) await sleep(200);
  }
  throw new Error(`result ${id} not ready after ${timeoutMs} ms; last: ${last ? describeRes(last) : "none"}`);
}

/** Reads a group result with `?wait=30` until `ready`. */
export async function waitGroup(id: string, timeoutMs = 55_000): Promise<GroupResult> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse<GroupResult> | undefined;
  while (Date.now() < deadline) {
    const waitS = Math.max(1, Math.min(30, Math.floor((deadline - Date.now()) / 1000)));
    const t0 = Date.now();
    last = await api<GroupResult>("GET", `/v1/groups/${encodeURIComponent(id)}?wait=${waitS}`);
    expect(last.status, describeRes(last)).toBe(200);
    if (last.json?.ready === true) return last.json;
    if (Date.now() - t0 < 200) await sleep(200);
  }
  throw new Error(`group ${id} not ready after ${timeoutMs} ms; last: ${last ? describeRes(last) : "none"}`);
}

/** Polls plain GET /v1/results/:id until `pred` holds; returns every observation in order. */
export async function pollResult(
  id: string,
  pred: (r: Result) => boolean,
  { intervalMs = 50, timeoutMs = 30_000 } = {},
): Promise<Result[]> {
  const seen: Result[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await getResult(id);
    seen.push(r);
    if (pred(r)) return seen;
    await sleep(intervalMs);
  }
  throw new Error(`result ${id}: condition not met after ${timeoutMs} ms; last: ${JSON.stringify(seen.at(-1))}`);
}

export async function queueStats(name: string): Promise<QueueStats> {
  const res = await api<QueueStats>("GET", `/v1/queues/${encodeURIComponent(name)}`);
  expect(res.status, describeRes(res)).toBe(200);
  return res.json;
}

export async function putQueue(name: string, settings: { concurrency?: number; paused?: boolean; prefetch?: number }): Promise<QueueStats> {
  const res = await api<QueueStats>("PUT", `/v1/queues/${encodeURIComponent(name)}`, settings);
  expect(res.status, describeRes(res)).toBe(200);
  return res.json;
}

/** A fresh, uniquely named queue, paused (messages sent to it stay `waiting`). */
export async function pausedQueue(concurrency?: number): Promise<string> {
  const name = uniqQueue();
  const stats = await putQueue(name, concurrency === undefined ? { paused: true } : { paused: true, concurrency });
  expect(stats.paused).toBe(true);
  return name;
}

/** Polls queue stats until `pred` holds; returns the last stats. */
export async function waitQueue(
  name: string,
  pred: (s: QueueStats) => boolean,
  { intervalMs = 100, timeoutMs = 45_000 } = {},
): Promise<QueueStats> {
  const deadline = Date.now() + timeoutMs;
  let last: QueueStats | undefined;
  while (Date.now() < deadline) {
    last = await queueStats(name);
    if (pred(last)) return last;
    await sleep(intervalMs);
  }
  throw new Error(`queue ${name}: condition not met after ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Asserts the server still answers health (used after malformed requests). */
export async function expectHealthy(): Promise<void> {
  const res = await api("GET", "/v1/health", undefined, { token: null });
  expect(res.status, describeRes(res)).toBe(200);
  expect(res.json?.ok).toBe(true);
}

/** Asserts that none of `ids` was enqueued or stored: each reads PENDING. */
export async function expectAllPending(ids: string[]): Promise<void> {
  for (const id of ids) {
    const r = await getResult(id);
    expect(r.state, `${id}: ${JSON.stringify(r)}`).toBe("PENDING");
  }
}

/** Asserts a queue holds nothing: no waiting, delayed or leased message. */
export async function expectQueueEmpty(name: string): Promise<void> {
  const s = await queueStats(name);
  expect({ waiting: s.waiting, delayed: s.delayed, leased: s.leased }, JSON.stringify(s)).toEqual({
    waiting: 0,
    delayed: 0,
    leased: 0,
  });
}

/** Reads an SSE stream until `stop` says so for an event; returns the events read. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onOpen: () => Promise<void>,
  stop: (name: string, data: any) => boolean,
): Promise<Array<{ name: string; data: any }>> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const seen: Array<{ name: string; data: any }> = [];
  let buf = "";
  let opened = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the event stream ended; events so far: ${JSON.stringify(seen)}`);
      buf += value;
      let cut: number;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (!opened && frame.startsWith(":")) {
          opened = true;
          await onOpen();
          continue;
        }
        const name = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (name === undefined || data === undefined) continue;
        const parsed = JSON.parse(data);
        seen.push({ name, data: parsed });
        if (stop(name, parsed)) return seen;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Subscribes to GET /v1/events, sends `start()`'s tasks once the stream is open, reads until `stop`. */
export async function watchEvents(start: () => Promise<void>, stop: (name: string, data: any) => boolean): Promise<Array<{ name: string; data: any }>> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl()}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  try {
    return await readEvents(res.body!, start, stop);
  } finally {
    controller.abort();
  }
}
