/** Celery's `GroupResult`: the members of a group, read together from `GET /v1/groups/:id`. */
import type { GroupResult as GroupResultJSON, TaskState } from "../src/protocol/shared.js";
import { AsyncResult } from "./async-result.js";
import { taskErrorFrom, type TaskFailedError } from "./errors.js";
import { pollUntilReady } from "./poll.js";
import type { Requester } from "./requester.js";
import type { GetOptions, ResultNode } from "./result-node.js";

/** A group started by `apply` (a group, chunks, or a chain/chord ending in one), or `client.groupResult(id)`. */
export class GroupResult<T = unknown> implements ResultNode {
  /** The previous step of a chain, when the group is one. */
  parent: AsyncResult | GroupResult | undefined;
  private members: ReadonlyArray<AsyncResult<T> | GroupResult>;

  /**
   * @param id - The group id.
   * @param results - The members, in member order (empty when only the id is known).
   * @param requester - How to reach the API.
   * @param parent - The parent result, when known.
   */
  constructor(
    readonly id: string,
    results: ReadonlyArray<AsyncResult<T> | GroupResult>,
    private readonly requester: Requester,
    parent?: AsyncResult | GroupResult,
  ) {
    this.members = [...results];
    this.parent = parent;
  }

  /**
   * The members' results, in member order (a nested group is a `GroupResult`). For a group looked
   * up by id, empty until the first read.
   */
  get results(): ReadonlyArray<AsyncResult<T> | GroupResult> {
    return this.members;
  }

  /**
   * Reads the group (`GET /v1/groups/:id`), holding up to `wait` seconds until it is ready, and
   * hands each member its result.
   * @throws EdgeryHttpError `not_found` for an unknown group id.
   */
  async fetch(wait?: number, signal?: AbortSignal): Promise<GroupResultJSON> {
    const answer = await this.requester.request<GroupResultJSON>(
      {
        method: "GET",
        path: `/v1/groups/${encodeURIComponent(this.id)}`,
        query: { wait },
      },
      signal,
    );
    if (this.members.length === 0) this.members = answer.results.map((r) => new AsyncResult<T>(r.id, this.requester));
    const byId = new Map(answer.results.map((r) => [r.id, r]));
    for (const member of this.results) {
      const read = byId.get(member.id);
      if (read && member instanceof AsyncResult) member.prime(read);
    }
    return answer;
  }

  /**
   * Waits until every member is ready; returns their results in member order. With `propagate`
   * (the default), the first failed member's error (in member order) is thrown.
   * @throws TimeoutError when `timeout` seconds pass first.
   */
  get(options?: GetOptions & { propagate?: true }): Promise<T[]>;
  /** As above, but failed members give their error objects in place. */
  get(options: GetOptions & { propagate: false }): Promise<Array<T | TaskFailedError>>;
  /** With options computed at run time (`propagate` a boolean): values, and errors where not propagated. */
  get(options: GetOptions): Promise<Array<T | TaskFailedError>>;
  async get(options: GetOptions = {}): Promise<Array<T | TaskFailedError>> {
    const answer = await pollUntilReady((wait, signal) => this.fetch(wait, signal), (g) => g.ready, options, `group ${this.id}`);
    return answer.results.map((r) => {
      if (r.state === "SUCCESS") return r.result as T;
      const error = taskErrorFrom(r.error, r.id, r.state);
      if (options.propagate === false) return error;
      throw error;
    });
  }

  /** How many members are done. */
  async completedCount(): Promise<number> {
    return (await this.fetch()).completed;
  }

  /** True once every member is ready. */
  async ready(): Promise<boolean> {
    return (await this.fetch()).ready;
  }

  /** True when every member succeeded. */
  async successful(): Promise<boolean> {
    return (await this.fetch()).successful;
  }

  /** True when any member ended `FAILURE` (a `REVOKED` member makes the group not successful, not failed). */
  async failed(): Promise<boolean> {
    return (await this.fetch()).failed;
  }

  /**
   * Revokes every member (`POST /v1/results/:id/revoke` each); returns their states now, in member
   * order. A group known by its id alone is read first, to learn its members.
   * @throws EdgeryHttpError `not_found` for an unknown group id.
   */
  async revoke(options: { terminate?: boolean } = {}): Promise<TaskState[]> {
    if (this.members.length === 0) await this.fetch();
    return (await Promise.all(this.members.map((member) => member.revoke(options)))).flat();
  }
}
