// The property test, full tier: generated programs (test/property/generate.ts) fixed by the
// in-process engine, judged by CPython in one batch (originals and rewrites), and the
// runnable ones run under python3 before and after, under the fork and the spawn defaults.
//
//   SPAWNSAFE_PROPERTY_COUNT=5000   programs compiled (default 1000)
//   SPAWNSAFE_PROPERTY_RUN=200      changed runnable programs run (default 24)
//   SPAWNSAFE_PROPERTY_SEED=7       another seed (printed on failure)
//   SPAWNSAFE_PROPERTY_ONLY=123     only that program of the seed
//   SPAWNSAFE_PROPERTY_STRICT=1     known failure classes fail the test too
import { test } from "node:test";
import { checkPrograms } from "./property/check";
import { assertProperty, propertyOptions } from "./property/known";
import { resolvedPython } from "./helpers/cli";

test("property: generated programs still compile after fix, a second fix changes nothing, and the ones that run print the same", { timeout: 60 * 60 * 1000 }, async () => {
  const python = resolvedPython();
  if (!python) throw new Error("the property's full tier needs python3 (or $SPAWNSAFE_PYTHON)");
  const options = propertyOptions({ count: 1000, run: 24 });
  const outcome = await checkPrograms({ ...options, python });
  assertProperty(outcome, options.seed);
});
