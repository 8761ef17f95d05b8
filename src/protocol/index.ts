/**
 * edgery's wire protocol: pure types, schemas and constants shared by the Worker and the client.
 * Imports nothing of edgery's own outside this folder. The client imports only `shared.ts` (no
 * zod); the Worker also gets the zod parsers of signatures.
 */
export * from "./shared.js";
export * from "./parse-signature.js";
