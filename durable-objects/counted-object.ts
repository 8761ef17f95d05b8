/**
 * The base of edgery's Durable Objects: a count of the requests an object took, for the capacity
 * model (`npm run bench:capacity`) and the `edgery_object_requests` metric. A Durable Object
 * serves about 1,000 requests/s; this count is what that limit is about.
 *
 * Each RPC method and the alarm add one as they begin (`this.requests += 1`: no storage, no
 * await). It lives in memory: after an eviction it starts again at 0.
 */
import { DurableObject } from "cloudflare:workers";

/** A Durable Object that counts its requests. */
export abstract class CountedObject<E = unknown> extends DurableObject<E> {
  /** Requests (RPC calls and alarms) this object took since it started. */
  protected requests = 0;

  /** Requests this object took since it started; reading it is not counted. */
  async requestCount(): Promise<number> {
    return this.requests;
  }
}
