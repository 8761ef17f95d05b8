/// <reference types="node" />
/**
 * fast-check arbitraries for hostile request bodies, shared by the signature-parser fuzz
 * (test/unit/fuzz-parse-signature.test.ts) and the route fuzz (test/e2e/fuzz-routes.test.ts).
 * No import from src/: the e2e suite speaks only the HTTP contract.
 */
import fc from "fast-check";

/** Fixed seed and bounded runs for `npm test`; `npm run fuzz` sets FUZZ_RUNS (and a random seed unless FUZZ_SEED). */
export function fuzzParams(defaultRuns: number): { seed: number; numRuns: number } {
  const runs = Number(process.env.FUZZ_RUNS ?? 0);
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : runs > 0 ? Date.now() ^ (Math.random() * 2 ** 31) : 20260420;
  return { seed, numRuns: runs > 0 ? runs : defaultRuns };
}

/** Cases run per property, printed at the end of a fuzz file (the counts the README reports). */
export const fuzzCounts = new Map<string, number>();
/** Records one case of `property`. */
export function countCase(property: string): void {
  fuzzCounts.set(property, (fuzzCounts.get(property) ?? 0) + 1);
}
/** One line per property: `name: n cases`. */
export function fuzzSummary(title: string, seed: number): string {
  return [`${title} (seed ${seed})`, ...[...fuzzCounts].map(([k, v]) => `  ${k}: ${v} cases`)].join("\n");
}

/** Keys that have bitten JavaScript parsers: prototype keys, Celery option names, pointer markers. */
export const hostileKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "$edgery_r2",
  "bytes",
  "task",
  "args",
  "kwargs",
  "options",
  "subtask_type",
  "immutable",
  "tasks",
  "header",
  "body",
  "it",
  "n",
  "queue",
  "priority",
  "countdown",
  "eta",
  "expires",
  "task_id",
  "link",
  "link_error",
  "stamps",
  "stamped_headers",
  "acks_late",
  "time_limit",
  "soft_time_limit",
  "max_retries",
  "ignore_result",
  "routing_key",
  "signature",
);

/** Numbers at the edges: huge, tiny, negative zero, past 2^53, non-integers. */
export const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 9, 10, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324, 0.5, 315_360_000, 315_360_001 * 100),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Strings: empty, long, unicode (astral, combining, RTL, NUL), ISO-ish dates, task-like names. */
export const hostileString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", "\u0000", "\ud800", "💥", "a\u0301", "\u202e", "demo.add", "demo.noop", "celery.chain", "celery.group", "celery.chord", "celery.map", "celery.chunks", "2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "-000001-01-01T00:00:00Z", "NaN", "Infinity", "x".repeat(300)),
);

/**
 * A hostile string as one URL component: encodeURIComponent, with each lone surrogate (which no
 * URL can carry: UTF-8 has no encoding for it, and encodeURIComponent throws URIError on it)
 * sent as U+FFFD, as a browser's URL encoder does.
 */
export const uriComponent = (s: string): string => encodeURIComponent(s.replace(/\p{Cs}/gu, "\uFFFD"));

/** A value shaped like an R2 pointer (the marker key edgery uses internally for large results). */
export const pointerShaped = fc.record({ $edgery_r2: fc.oneof(fc.constantFrom("value/x", "../../etc", "value/"), hostileString), bytes: hostileNumber });

/** Any JSON value built from the hostile leaves, with hostile keys. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false),
    hostileNumber,
    hostileString,
    pointerShaped,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileKey, hostileString), tie("v"), { maxKeys: 5 }),
  ),
})).v;

/** A value nested `depth` times (arrays or objects): deeper than any limit the contract names. */
export const deepNesting = fc
  .tuple(fc.integer({ min: 20, max: 1000 }), fc.constantFrom("array", "object", "chain"))
  .map(([depth, kind]) => {
    let v: unknown = { task: "demo.noop" };
    for (let i = 0; i < depth; i++) {
      if (kind === "array") v = [v];
      else if (kind === "object") v = { a: v };
      else v = { task: "celery.chain", kwargs: { tasks: [v] } };
    }
    return v;
  });

const taskName = fc.oneof(fc.constantFrom("demo.add", "demo.noop", "demo.identity", "demo.xsum"), hostileString);

/** Options mixing valid values, wrong types and hostile keys. */
export const hostileOptions = fc.dictionary(
  hostileKey,
  fc.oneof(hostileJson, fc.constantFrom("default", "math", 0, 9, 3600, true)),
  { maxKeys: 4 },
);

/** Signature-shaped objects: often nearly valid, so the parser's deeper checks are reached. */
export const signatureLike: fc.Arbitrary<unknown> = fc.letrec<{ sig: unknown }>((tie) => ({
  sig: fc.oneof(
    { depthSize: "small" },
    fc.record(
      { task: taskName, args: fc.oneof(fc.array(hostileJson, { maxLength: 3 }), hostileJson), kwargs: fc.oneof(fc.dictionary(fc.oneof(hostileKey, hostileString), hostileJson, { maxKeys: 3 }), hostileJson), options: fc.oneof(hostileOptions, hostileJson), immutable: fc.oneof(fc.boolean(), hostileJson) },
      { requiredKeys: ["task"] },
    ),
    fc.record({ task: fc.constantFrom("celery.chain", "celery.group"), kwargs: fc.record({ tasks: fc.oneof(fc.array(tie("sig"), { maxLength: 3 }), hostileJson) }), options: hostileOptions }),
    fc.record({ task: fc.constant("celery.chord"), kwargs: fc.record({ header: fc.array(tie("sig"), { maxLength: 3 }), body: fc.oneof(tie("sig"), hostileJson), kwargs: fc.constant({}) }) }),
    fc.record({ task: fc.constantFrom("celery.map", "celery.starmap", "celery.chunks"), kwargs: fc.record({ task: fc.oneof(tie("sig"), hostileJson), it: fc.oneof(fc.array(hostileJson, { maxLength: 4 }), hostileJson), n: hostileNumber }), immutable: fc.constant(true) }),
    hostileJson,
  ),
})).sig;

/** A request body: a signature, a wrapper, JSON garbage, or a deep nest. */
export const hostileBody = fc.oneof(
  signatureLike,
  fc.record({ signature: signatureLike, args: hostileJson, kwargs: hostileJson, options: hostileOptions }, { requiredKeys: ["signature"] }),
  fc.record({ signatures: fc.oneof(fc.array(signatureLike, { maxLength: 4 }), hostileJson) }),
  hostileJson,
  deepNesting,
);

/** Raw body texts that are not (quite) JSON, or JSON that JSON.parse treats specially. */
export const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.constantFrom("", "{", "[", "nul", "{\"task\":", "{\"task\": \"demo.add\",}", "\ufeff{}", "1e999999", "-", "[".repeat(10_000), "{\"a\":".repeat(5000), "{\"__proto__\": {\"polluted\": 1}, \"task\": \"demo.add\"}", "{\"task\":\"demo.add\",\"task\":\"nope\"}", "\"\\ud800\""),
  hostileJson.map((v) => JSON.stringify(v) + "x"),
);
