// The benches' one way to call the API (bench/run.mjs, bench/capacity.mjs, bench/profile.mjs):
// a JSON request with a bearer token that waits out 503 `overloaded` (back-pressure is part of
// the contract: it answers Retry-After) and, where a bench asks for it, sends a call again when
// the local server closed its connection under it.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Most times one call waits out 503 `overloaded` before its answer is returned as it is. */
const OVERLOADED_TRIES = 100;

/**
 * A caller of the API at `base()` (read on every call: a bench learns its server's URL late) with
 * `token`. `resendOnReset`: how many times a call whose connection was closed under it
 * (ECONNRESET, UND_ERR_SOCKET: the local server sometimes closes a kept-alive connection as it
 * is reused) is sent again, 1 s apart, each counted in `resent` and told to `onResend`; 0 throws
 * at once. A resent call may have been taken the first time too.
 */
export function apiClient({ base, token, resendOnReset = 0, onResend = () => {} }) {
  const client = {
    /** Calls sent again after a closed connection. */
    resent: 0,
    /** One call: `{ status, json, text }` (`json` undefined when the body is not JSON). */
    async call(method, path, body) {
      for (let attempt = 0, resends = 0; ; attempt++) {
        let res;
        try {
          res = await fetch(base() + path, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
        } catch (err) {
          const code = err?.cause?.code;
          if ((code === "ECONNRESET" || code === "UND_ERR_SOCKET") && resends < resendOnReset) {
            resends += 1;
            client.resent += 1;
            onResend(`${method} ${path}: connection closed (${code}); sent again`);
            await sleep(1000);
            continue;
          }
          throw err;
        }
        const text = await res.text();
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        if (res.status === 503 && json?.error?.code === "overloaded" && attempt < OVERLOADED_TRIES) {
          await sleep((Number(res.headers.get("retry-after")) || 1) * 1000);
          continue;
        }
        return { status: res.status, json, text };
      }
    },
    /** One call that must succeed (2xx): its JSON. @throws Error naming the call and its answer. */
    async json(method, path, body) {
      const res = await client.call(method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
      return res.json;
    },
  };
  return client;
}
