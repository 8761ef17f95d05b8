/**
 * edgery's TypeScript client: Celery's signatures, canvas and results over edgery's HTTP API.
 * Depends only on `src/protocol/shared.ts` (no zod, no other dependency) and `fetch`.
 */
export { createClient, EdgeryClient, type ClientConfig, type QueueSettings, type Health, type DeadLetterPage } from "./client.js";
export { eventMatcher, taskEventOf, type TaskEvent, type EventFilter, type EventsOptions } from "./events.js";
export { SseParser, type SseEvent } from "./sse.js";
export { createRequester, checkResponse, type Requester, type RequesterConfig, type ApiRequest, type FetchLike, type FetchInit, type FetchResponse } from "./requester.js";
export { CanvasSignature } from "./canvas-signature.js";
export type { SignatureKind, SignatureJSON, WireOptions, Stamps, StampingVisitor, VisitorStamps, CanvasNode } from "./types.js";
export type { CallOptions, ApplyResult, AppliedType, HandleNode, ResultType, SignatureApplier } from "./applier.js";
export { Signature, signature, sig, si, type SignatureParts } from "./signature.js";
export { Chain } from "./chain.js";
export { Group } from "./group.js";
export { Chord } from "./chord.js";
export { MapSignature, Chunks } from "./map.js";
export { chain, group, chord, map, starmap, chunks } from "./canvas.js";
export { fromJSON, type SignatureLike } from "./from-json.js";
export { toWireOptions, type SignatureOptions, type KnownSignatureOptions } from "./options.js";
export type { TaskCall, TaskCallArgs, TaskName } from "./task-call.js";
export type { StampOptions } from "./stamping.js";
export { AsyncResult, type TaskGetOptions } from "./async-result.js";
export type { GetOptions, ResultNode } from "./result-node.js";
export { GroupResult } from "./group-result.js";
export type { WaitOptions } from "./poll.js";
export {
  EdgeryHttpError,
  TimeoutError,
  TaskFailedError,
  SoftTimeLimitExceeded,
  TimeLimitExceeded,
  ChordError,
  TaskRevokedError,
  MaxRetriesExceededError,
  NotRegistered,
  taskErrorFrom,
} from "./errors.js";
export type {
  Handle,
  TaskResult,
  GroupResult as GroupResultJSON,
  QueueStats,
  TaskErrorInfo,
  TaskState,
  WireSignature,
  WireErrorCode,
  TaskTypes,
  TaskMap,
  UntypedTasks,
  RegisteredTask,
  ActiveTask,
  ScheduledTask,
  DeadLetter,
} from "../src/protocol/shared.js";
