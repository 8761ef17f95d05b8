/**
 * edgery's own dev Worker: the demo tasks of the contract on an app named "edgery".
 * A user's Worker looks the same with its own tasks (see examples/).
 */
import { App, edgery } from "../index.js";
import { registerDemoTasks } from "./tasks.js";
import { registerScenarioTasks } from "../../examples/scenarios/tasks.js";

export { QueueDO, ResultDO, ChordDO, EventsDO, ScheduleDO, DirectoryDO, IdempotencyDO, EdgeryDelivery } from "../index.js";

const app = new App({ name: "edgery" });
app.optionalTasks(registerDemoTasks);
app.optionalTasks(registerScenarioTasks);
// The demo brokers (docs/brokers.md): `billing.*` runs in the second app (apps/billing) through
// the BILLING service binding; queue "direct" is on the cloudflare-queue broker (DIRECT Queue),
// with `direct.noop` (returns null) on it for the bench and tests; any task sent with
// `options.queue: "direct"` goes there too.
app.route({
  "billing.*": { queue: "billing", broker: "service", binding: "BILLING", token_env: "BILLING_TOKEN" },
  "direct.*": { queue: "direct", broker: "cloudflare-queue", binding: "DIRECT" },
});
app.optionalTasks((a) => a.task("direct.noop", () => null));

export default edgery(app);
