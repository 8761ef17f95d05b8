/**
 * The billing app: a second edgery app in this repo (Celery's `app2`), with its own Worker,
 * task registry, queue and consumer. The main app routes `billing.*` here through a service
 * binding; results are written to the main app's result store (see wrangler.toml).
 */
import { App, edgery } from "../../../src/index.js";

export { QueueDO, EdgeryDelivery } from "../../../src/index.js";

/** Its routes: its own tasks on its own queue; everything else back to the main app. */
export const billing = new App({
  name: "billing",
  routes: {
    "billing.*": { queue: "billing" },
    "*": { queue: "edgery", broker: "service", binding: "EDGERY", token_env: "EDGERY_PEER_TOKEN" },
  },
});

billing.task("billing.charge", (_ctx, [amount]) => ({ charged: amount ?? null }));

export default edgery(billing);
