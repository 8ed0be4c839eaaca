// The property test, fast tier: a few hundred generated programs (test/property/generate.ts)
// through the in-process engine, no python3: every fix settles and a second fix changes
// nothing. test/property.slow.test.ts adds CPython's verdicts and runs the programs.
//
//   SPAWNSAFE_PROPERTY_COUNT=5000   more programs
//   SPAWNSAFE_PROPERTY_SEED=7       another seed (printed on failure)
//   SPAWNSAFE_PROPERTY_ONLY=123     only that program of the seed (to reproduce a failure)
import { test } from "node:test";
import { checkPrograms } from "./property/check";
import { assertProperty, propertyOptions } from "./property/known";

test("property: generated programs settle under fix, and a second fix changes nothing", async () => {
  const options = propertyOptions({ count: 300, run: 0 });
  const outcome = await checkPrograms({ ...options, python: null });
  assertProperty(outcome, options.seed);
});
