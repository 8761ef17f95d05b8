/**
 * Type tests of option names (checked by `npm run typecheck`, never run): the untyped client's
 * options are closed too. A camelCase option, a wire name edgery reads or one Celery 5 writes
 * compiles; a misspelling does not. Each `@ts-expect-error` fails the type check if its line
 * compiles.
 */
import { createClient, sig, signature } from "edgery/client";

export async function optionNames(): Promise<void> {
  const edgery = createClient({ url: "http://127.0.0.1:8787", token: "dev-token" });
  await edgery.send("anything", { options: { countdown: 5, routingKey: "r", routing_key: "r", shadow: "s", headers: {}, retry_policy: {} } });
  await edgery.apply(sig("a", 1), { options: { priority: 9, soft_time_limit: 1 } });
  signature("a", [], {}, { queue: "q", immutable: true, argsrepr: "()" });
  sig("a").set({ expires: 60, idempotency_key: "k" });

  // @ts-expect-error a misspelled option, untyped send
  await edgery.send("anything", { options: { countdwn: 5 } });
  // @ts-expect-error an option no one knows (result backends are per task, not per call)
  await edgery.send("anything", { options: { backend: "d1" } });
  // @ts-expect-error a misspelled option, apply's call options
  await edgery.apply(sig("a", 1), { options: { priorty: 9 } });
  // @ts-expect-error a misspelled option, signature()
  signature("a", [], {}, { queu: "q" });
  // @ts-expect-error a misspelled option, .set()
  sig("a").set({ expirse: 60 });
}
