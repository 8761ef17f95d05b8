// Contract: "Auth" and the 401/404/405 rows of "Errors".
import { describe, expect, it } from "vitest";
import { api, describeRes, expectError, getResult, uniqId } from "./helpers";

// Every authenticated route of the contract, with a plausible body.
const ROUTES: Array<[string, string, unknown?]> = [
  ["POST", "/v1/tasks/demo.add", { args: [1, 2] }],
  ["POST", "/v1/apply", { task: "demo.add", args: [1, 2] }],
  ["POST", "/v1/apply/bulk", { signatures: [{ task: "demo.noop" }] }],
  ["GET", "/v1/results/some-id"],
  ["GET", "/v1/results/some-id?wait=1"],
  ["GET", "/v1/groups/some-id"],
  ["POST", "/v1/results/some-id/revoke", { terminate: false }],
  ["DELETE", "/v1/results/some-id"],
  ["GET", "/v1/queues"],
  ["GET", "/v1/queues/default"],
  ["PUT", "/v1/queues/t-auth-probe", { paused: true }],
  ["DELETE", "/v1/queues/t-auth-probe/messages"],
  // Auth comes before routing: unknown paths and wrong methods answer 401 too.
  ["GET", "/v1/no-such-route"],
  ["POST", "/v1/no/such/route", {}],
  ["GET", "/v1/apply"],
  ["PATCH", "/v1/queues/default", {}],
];

describe("GET /v1/health", () => {
  it("answers 200 {ok: true, version} without a token", async () => {
    const res = await api("GET", "/v1/health", undefined, { token: null });
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.ok).toBe(true);
    expect(res.json.version).toBeTypeOf("string");
    expect(res.json.version.length).toBeGreaterThan(0);
  });

  it("answers 200 with the token too", async () => {
    const res = await api("GET", "/v1/health");
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.ok).toBe(true);
  });
});

describe("401 unauthorized", () => {
  for (const [method, path, body] of ROUTES) {
    it(`${method} ${path} without a token`, async () => {
      const res = await api(method, path, body, { token: null });
      expectError(res, 401, "unauthorized");
    });
    it(`${method} ${path} with a wrong token`, async () => {
      const res = await api(method, path, body, { token: "not-the-token" });
      expectError(res, 401, "unauthorized");
    });
  }

  it("rejects the token without the Bearer scheme", async () => {
    const res = await api("GET", "/v1/queues", undefined, { token: null, headers: { authorization: "dev-token" } });
    expectError(res, 401, "unauthorized");
  });

  it("rejects a token that only starts with the right one", async () => {
    const res = await api("GET", "/v1/queues", undefined, { token: "dev-token-x" });
    expectError(res, 401, "unauthorized");
  });

  it("does not enqueue anything for an unauthorized request", async () => {
    const id = uniqId();
    const res = await api("POST", "/v1/tasks/demo.noop", { options: { task_id: id } }, { token: "wrong" });
    expectError(res, 401, "unauthorized");
    const bulk = await api(
      "POST",
      "/v1/apply/bulk",
      { signatures: [{ task: "demo.noop", options: { task_id: id } }] },
      { token: null },
    );
    expectError(bulk, 401, "unauthorized");
    expect((await getResult(id)).state).toBe("PENDING");
  });
});

describe("404 not_found", () => {
  it.each([
    ["GET", "/v1/no-such-route"],
    ["POST", "/v1/no-such-route"],
    ["DELETE", "/v1/no-such-route"],
  ])("%s %s", async (method, path) => {
    const res = await api(method, path, method === "POST" ? {} : undefined);
    expectError(res, 404, "not_found");
  });

  it("GET /v1/nope/deeper/path", async () => {
    expectError(await api("GET", "/v1/nope/deeper/path"), 404, "not_found");
  });

  it("GET /v1/groups/:id of an unknown group", async () => {
    expectError(await api("GET", `/v1/groups/${uniqId()}`), 404, "not_found");
  });
});

describe("405 method_not_allowed", () => {
  it.each([
    ["GET", "/v1/apply"],
    ["PUT", "/v1/apply"],
    ["GET", "/v1/apply/bulk"],
    ["DELETE", "/v1/apply/bulk"],
    ["GET", "/v1/tasks/demo.add"],
    ["DELETE", "/v1/tasks/demo.add"],
    ["POST", "/v1/results/some-id"],
    ["PUT", "/v1/results/some-id"],
    ["GET", "/v1/results/some-id/revoke"],
    ["POST", "/v1/queues"],
    ["DELETE", "/v1/queues"],
    ["POST", "/v1/queues/default"],
    ["PATCH", "/v1/queues/default"],
    ["GET", "/v1/queues/default/messages"],
    ["POST", "/v1/queues/default/messages"],
  ])("%s %s", async (method, path) => {
    const body = ["POST", "PUT", "PATCH"].includes(method) ? {} : undefined;
    const res = await api(method, path, body);
    expectError(res, 405, "method_not_allowed");
  });
});
