/**
 * edgery's wire protocol: pure types, schemas and constants shared by the Worker and the client.
 * Imports nothing of edgery's own outside this folder.
 */
export * from "./constants.js";
export * from "./states.js";
export * from "./task-error.js";
export * from "./wire-error.js";
export * from "./signature.js";
export * from "./parse-signature.js";
export * from "./result.js";
export * from "./rate-limit.js";
