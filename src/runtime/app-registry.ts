/**
 * The app a Worker registered, reachable from its Durable Objects and its consumer.
 *
 * A Worker's module registers its app once at load (`edgery(app)`), before any request or
 * Durable Object runs, so the classes exported from it can read the same registry.
 */
import type { App } from "../app/app.js";

let current: App | undefined;

/** Registers the Worker's app (called by `edgery(app)`). */
export function setApp(app: App): void {
  current = app;
}

/** The Worker's app, or undefined when none was registered (a Durable Object used alone). */
export function findApp(): App | undefined {
  return current;
}

/** The Worker's app. @throws when no app was registered (a wiring mistake). */
export function getApp(): App {
  if (!current) throw new Error("edgery: no app registered: call edgery(app) in the Worker's entry module");
  return current;
}
