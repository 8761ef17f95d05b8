/**
 * A fake `fetch` for the client's unit tests: records every request and answers with the
 * contract-shaped value a handler returns.
 */
import { createClient, type FetchLike } from "../../client/index.js";
import { pendingResult } from "../../src/protocol/index.js";

/** One request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. `/v1/results/abc`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined`. */
  body: unknown;
}

/** What a handler answers: a status (default 200) and a JSON body. */
export interface FakeAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A raw (non-JSON) body. */
  text?: string;
}

/** A fake fetch and the requests it received. */
export function fakeFetch(handler: (req: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url, init) => {
    const parsed = new URL(url);
    const req: RecordedRequest = {
      method: init.method,
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.parse(init.body),
    };
    requests.push(req);
    const answer = await handler(req);
    const status = answer.status ?? 200;
    const text = answer.text ?? (answer.body === undefined ? null : JSON.stringify(answer.body));
    return new Response(status === 204 ? null : text, { status, headers: { "content-type": "application/json", ...answer.headers } });
  };
  return { fetch, requests };
}

/** A contract result for task `id` in `state`. */
export function taskResult(id: string, state: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...pendingResult(id), state, task: "demo.add", queue: "default", ...extra };
}

/** A client of http://edgery.test with the dev token whose requests `handler` answers (and are recorded). */
export function fakeClient(handler: (req: RecordedRequest) => FakeAnswer) {
  const fake = fakeFetch(handler);
  return { client: createClient({ url: "http://edgery.test", token: "dev-token", fetch: fake.fetch }), requests: fake.requests };
}

/** Answers the given results for `GET /v1/results/:id`, one per call (the last one repeats). */
export function sequence(...answers: Array<Record<string, unknown>>): () => FakeAnswer {
  let i = 0;
  return () => ({ body: answers[Math.min(i++, answers.length - 1)] });
}
