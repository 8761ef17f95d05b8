// Property-based fuzz (fast-check) of the signature parser, src/protocol/parse-signature.ts:
// for any JSON value — random, malformed-but-parsed, huge numbers, deep nesting, unicode,
// `__proto__`/`constructor` keys, pointer-shaped values — parseSignature either returns a canvas
// or throws the contract's WireError (never a TypeError, a RangeError or a stack overflow), and
// it never touches Object.prototype. Fixed seed and bounded runs here; `npm run fuzz` runs long.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { WireError, parseSignature, toWire } from "../../src/protocol/index.js";
import { countCase, deepNesting, fuzzParams, fuzzSummary, hostileJson, signatureLike } from "../fuzz/arbitraries.js";

const { seed, numRuns } = fuzzParams(300);
const params = { seed, numRuns };

/** Parses `value`; answers the canvas, or the WireError it threw. Anything else fails the property. */
function parseOrWireError(value: unknown): { canvas?: unknown; error?: WireError } {
  try {
    return { canvas: parseSignature(value) };
  } catch (e) {
    if (!(e instanceof WireError)) throw new Error(`not a WireError: ${String((e as Error)?.stack ?? e)}`);
    return { error: e };
  }
}

/** The contract's error for a body that does not validate. */
function expectContractError(e: WireError) {
  expect(["invalid_signature", "payload_too_large"]).toContain(e.code);
  expect(typeof e.message).toBe("string");
  if (e.path !== undefined) expect(typeof e.path).toBe("string");
}

describe("parseSignature under fuzz", () => {
  afterAll(() => console.log(fuzzSummary("parse-signature fuzz", seed)));

  it("any JSON value: a canvas or the contract's WireError, never another throw", () => {
    fc.assert(
      fc.property(hostileJson, (v) => {
        countCase("any JSON value");
        const r = parseOrWireError(v);
        if (r.error) expectContractError(r.error);
      }),
      params,
    );
  });

  it("signature-shaped values: same, and what parses survives toWire → parse unchanged", () => {
    fc.assert(
      fc.property(signatureLike, (v) => {
        countCase("signature-shaped");
        // As the API receives it: plain objects from JSON.parse (fast-check may build null-prototype ones).
        const text = JSON.stringify(v);
        if (text === undefined) return;
        const r = parseOrWireError(JSON.parse(text));
        if (r.error) return expectContractError(r.error);
        const again = parseOrWireError(JSON.parse(JSON.stringify(toWire(r.canvas as never))));
        expect(again.error).toBeUndefined();
        // Compared as JSON, the form a canvas travels in (messages, results): an own key kept
        // `undefined` in memory (e.g. under `constructor`) is not a difference on the wire.
        expect(JSON.stringify(again.canvas)).toBe(JSON.stringify(r.canvas));
      }),
      params,
    );
  });

  it("the same values as built (null-prototype objects, undefined members)", () => {
    fc.assert(
      fc.property(signatureLike, (v) => {
        countCase("as built");
        const r = parseOrWireError(v);
        if (r.error) expectContractError(r.error);
      }),
      params,
    );
  });

  it("deep nesting (20 to 1000 levels): refused with the contract's error, no stack overflow", () => {
    fc.assert(
      fc.property(deepNesting, (v) => {
        countCase("deep nesting");
        const r = parseOrWireError(v);
        if (r.error) expectContractError(r.error);
      }),
      { ...params, numRuns: Math.max(20, Math.floor(numRuns / 10)) },
    );
  });

  it("__proto__ / constructor keys never reach Object.prototype", () => {
    fc.assert(
      fc.property(signatureLike, (v) => {
        countCase("prototype pollution");
        // JSON.parse makes an own `__proto__` key, as a request body would.
        const text = JSON.stringify(v);
        if (text === undefined || !text.startsWith("{")) return;
        const rest = text === "{}" ? "}" : "," + text.slice(1);
        const withProto = JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}' + rest);
        parseOrWireError(withProto);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
      }),
      params,
    );
  });
});
