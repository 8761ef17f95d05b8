/**
 * The one place the client talks HTTP: {@link createRequester} sends a request with the token and
 * JSON body, and {@link checkResponse} turns every non-2xx answer into an {@link EdgeryHttpError}.
 */
import { EdgeryHttpError } from "./errors.js";

/** The part of a `Response` the client reads, so that any `fetch` (Workers, Node, a fake) fits. */
export interface FetchResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream (read only by `stream`, for the event feed). */
  readonly body?: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/** What the client passes to `fetch`. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Ends the request (a wait's timeout or the caller's signal, an event feed's end). */
  signal?: AbortSignal;
}

/** A `fetch` function: the global one by default, or any function of this shape. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** One API call. */
export interface ApiRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below the base URL, starting with `/v1/`. */
  path: string;
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, string | number | undefined>;
  /** JSON body. */
  body?: unknown;
}

/** Sends API calls; resolves to the parsed JSON answer (`undefined` for `204`). */
export interface Requester {
  /** Sends one call; aborting `signal` ends it. */
  request<T>(req: ApiRequest, signal?: AbortSignal): Promise<T>;
  /**
   * Sends a call whose answer is a stream (`GET /v1/events`) and resolves to its body once the
   * answer is a 2xx; aborting `signal` ends it. Optional: a requester without it cannot read events.
   */
  stream?(req: ApiRequest, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

/** How to reach the API. */
export interface RequesterConfig {
  /** Base URL of the edgery API Worker, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** The API token (`EDGERY_TOKEN`); `dev-token` in local dev. */
  token?: string;
  /** A `fetch` to use instead of the global one (a service binding's `fetch`, a test fake). */
  fetch?: FetchLike;
}

/** Creates the {@link Requester} the client and its results share. */
export function createRequester(config: RequesterConfig): Requester {
  const base = config.url.replace(/\/+$/, "");
  // Looked up at call time (and called unbound) so a replaced global fetch is used and Workers
  // do not throw "Illegal invocation".
  const doFetch: FetchLike = config.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const send = async (req: ApiRequest, accept: string, signal?: AbortSignal): Promise<FetchResponse> => {
    const headers: Record<string, string> = { accept };
    if (config.token) headers.authorization = `Bearer ${config.token}`;
    const init: FetchInit = { method: req.method, headers };
    if (signal) init.signal = signal;
    if (req.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(req.body);
    }
    let res: FetchResponse;
    try {
      res = await doFetch(base + req.path + queryString(req.query), init);
    } catch (err) {
      // An abort is the caller's (its reason stands); anything else is the network's.
      if (signal?.aborted) throw err;
      throw new EdgeryHttpError(0, "network_error", `${req.method} ${req.path}: the request failed: ${err instanceof Error ? err.message : String(err)}`, undefined, undefined, { cause: err });
    }
    await checkResponse(res);
    return res;
  };
  return {
    async request<T>(req: ApiRequest, signal?: AbortSignal): Promise<T> {
      const res = await send(req, "application/json", signal);
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      // A 2xx that is not edgery's JSON (a proxy's or captive portal's page, an empty body) is no answer.
      let answer: unknown;
      try {
        answer = text ? JSON.parse(text) : undefined;
      } catch {
        answer = undefined;
      }
      if (answer === undefined || answer === null) {
        throw new EdgeryHttpError(res.status, "http_error", `${req.method} ${req.path}: HTTP ${res.status} without an edgery JSON answer${text ? `: ${text.slice(0, 200)}` : ""}`, undefined, undefined);
      }
      return answer as T;
    },
    async stream(req: ApiRequest, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
      const res = await send(req, "text/event-stream", signal);
      if (!res.body) throw new TypeError(`${req.method} ${req.path}: the answer has no body stream (is this fetch able to stream?)`);
      return res.body;
    },
  };
}

function queryString(query: ApiRequest["query"]): string {
  if (!query) return "";
  const parts = Object.entries(query)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

/**
 * Resolves for a 2xx answer; otherwise throws an {@link EdgeryHttpError} carrying the contract's
 * `{"error": {code, message, path}}` (or `http_error` with the status when the body is not one).
 */
export async function checkResponse(res: FetchResponse): Promise<void> {
  if (res.ok) return;
  const text = await res.text().catch(() => "");
  const retryHeader = res.headers.get("retry-after");
  const retryAfter = retryAfterS(retryHeader);
  const wire = parseWireError(text);
  if (wire) throw new EdgeryHttpError(res.status, wire.code, wire.message, wire.path, retryAfter);
  throw new EdgeryHttpError(res.status, "http_error", `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`, undefined, retryAfter);
}

/** `Retry-After` in seconds: delta-seconds, or an HTTP-date (RFC 9110) as seconds from now (at least 0). */
function retryAfterS(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function parseWireError(text: string): { code: string; message: string; path?: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message, path } = error as Record<string, unknown>;
  if (typeof code !== "string" || code === "") return undefined;
  return {
    code,
    message: typeof message === "string" ? message : code,
    ...(typeof path === "string" ? { path } : {}),
  };
}
