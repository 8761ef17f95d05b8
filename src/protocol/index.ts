/**
 * edgery's wire protocol: pure types, schemas and constants shared by the Worker and the client.
 * Imports nothing of edgery's own outside this folder. The client imports only `shared.ts` (no
 * zod); the Worker also gets the zod parsers of signatures and of task messages from a peer app.
 */
export * from "./shared.js";
export * from "./parse-signature.js";
export * from "./parse-message.js";
