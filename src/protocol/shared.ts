/**
 * The part of the wire protocol that the client shares with the Worker: types, constants, states
 * and errors. No parser, and so no zod: `client/` imports this module, never `index.ts`, which
 * keeps a producer that imports only `edgery/client` small (the layer rules check it).
 */
export * from "./constants.js";
export * from "./states.js";
export * from "./task-error.js";
export * from "./wire-error.js";
export * from "./signature.js";
export * from "./result.js";
export * from "./rate-limit.js";
export * from "./iso-time.js";
export * from "./task-types.js";
export * from "./option-names.js";
export * from "./inspect.js";
export * from "./dead-letter.js";
