/**
 * Type tests of the task error classes (checked by `npm run typecheck`, never run): `edgery` and
 * `edgery/client` export one definition of each, so a class imported from one entry is the other's
 * (test/unit/shared-errors.test.ts checks the class objects themselves).
 */
import { expectTypeOf } from "vitest";
import * as server from "edgery";
import * as client from "edgery/client";

expectTypeOf<typeof server.TaskFailedError>().toEqualTypeOf<typeof client.TaskFailedError>();
expectTypeOf<typeof server.SoftTimeLimitExceeded>().toEqualTypeOf<typeof client.SoftTimeLimitExceeded>();
expectTypeOf<typeof server.TimeLimitExceeded>().toEqualTypeOf<typeof client.TimeLimitExceeded>();
expectTypeOf<typeof server.ChordError>().toEqualTypeOf<typeof client.ChordError>();
expectTypeOf<typeof server.TaskRevokedError>().toEqualTypeOf<typeof client.TaskRevokedError>();
expectTypeOf<typeof server.MaxRetriesExceededError>().toEqualTypeOf<typeof client.MaxRetriesExceededError>();
expectTypeOf<typeof server.NotRegistered>().toEqualTypeOf<typeof client.NotRegistered>();
