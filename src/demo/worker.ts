/**
 * edgery's own dev Worker: the demo tasks of the contract on an app named "edgery".
 * A user's Worker looks the same with its own tasks (see examples/).
 */
import { App, edgery } from "../index.js";
import { registerDemoTasks } from "./tasks.js";

export { QueueDO, ResultDO, ChordDO } from "../index.js";

const app = new App({ name: "edgery" });
app.optionalTasks(registerDemoTasks);

export default edgery(app);
