/**
 * The `service` and `http` brokers: another edgery app takes the messages. A service binding
 * reaches an app of the same account without a network hop; `http` reaches one in another
 * account or region over HTTPS. Both speak the internal broker endpoint (endpoint.ts) with the
 * other app's token as a Bearer token.
 *
 * A far side that answers an error or does not answer within the timeout rejects the call:
 * the caller keeps the messages (the API answers 503 overloaded, an outbox retries).
 */
import type { QueueStats, TaskResult } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import { BrokerUnavailableError, type Broker, type QueueSettings } from "./broker.js";

/** Base path of the internal broker endpoint of an edgery app. */
export const BROKER_PATH = "/__edgery/broker";
/** How long a remote broker may take to answer. */
export const REMOTE_TIMEOUT_MS = 10_000;

/** Sends one request to the other app (its path starts with BROKER_PATH). */
export type RemoteSend = (path: string, init: RequestInit) => Promise<Response>;

/** Another edgery app. */
export class RemoteBroker implements Broker {
  readonly cancellable = true;

  constructor(
    readonly kind: "service" | "http",
    private readonly send: RemoteSend,
    private readonly token: string,
    private readonly timeoutMs = REMOTE_TIMEOUT_MS,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.send(BROKER_PATH + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new BrokerUnavailableError(`${this.kind} broker: ${method} ${path} failed: ${(err as Error)?.message ?? err}`);
    }
    const text = await res.text();
    if (!res.ok) throw new BrokerUnavailableError(`${this.kind} broker: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`, res.status >= 400 && res.status < 500);
    try {
      return (text ? JSON.parse(text) : null) as T;
    } catch {
      throw new BrokerUnavailableError(`${this.kind} broker: ${method} ${path} answered ${res.status} with a body that is not JSON`);
    }
  }

  async enqueue(messages: TaskMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.call("POST", "/enqueue", { messages });
  }

  async cancel(messages: TaskMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.call("POST", "/cancel", { messages });
  }

  revoke(_queue: string, ids: string[], terminate: boolean): Promise<{ revoked: string[] }> {
    return this.call("POST", "/revoke", { ids, terminate });
  }

  stats(queue: string): Promise<QueueStats> {
    return this.call("GET", `/queues/${encodeURIComponent(queue)}`);
  }

  configure(queue: string, settings: QueueSettings): Promise<QueueStats> {
    return this.call("PUT", `/queues/${encodeURIComponent(queue)}`, settings);
  }

  /** A result the other app holds (`waitMs` > 0 holds there until it is ready). */
  result(id: string, waitMs = 0): Promise<TaskResult> {
    const wait = waitMs > 0 ? `?wait=${Math.ceil(waitMs / 1000)}` : "";
    return this.call("GET", `/results/${encodeURIComponent(id)}${wait}`);
  }

  purge(queue: string): Promise<{ purged: number }> {
    return this.call("DELETE", `/queues/${encodeURIComponent(queue)}/messages`);
  }
}
