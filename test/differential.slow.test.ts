// The differential test (issue 17, item 5), full tier: generated multiprocessing programs that
// work under fork (test/differential/generate.ts) run before and after `spawnsafe fix` (safe
// fixes only); a safe fix that changes what a program prints, how it exits, makes it hang, or
// leaves it calling os.fork() is a soundness failure, and the test fails on any. It also
// prints the yield: programs the safe fixes migrate / programs that run the same under spawn.
//
//   SPAWNSAFE_DIFFERENTIAL_SEED=7       another seed
//   SPAWNSAFE_DIFFERENTIAL_COUNT=1000   more programs (thousands: `npm run differential`)
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolvedPython } from "./helpers/cli";
import { checkMany, familyLines, keep, yieldLine } from "./differential/harness";

function number(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${value}`);
  return n;
}

test("differential: no safe fix changes what a generated program does under python3, and the yield is reported", { timeout: 30 * 60 * 1000 }, async () => {
  if (!resolvedPython()) throw new Error("the differential test needs python3 (or $SPAWNSAFE_PYTHON)");
  const seed = number("SPAWNSAFE_DIFFERENTIAL_SEED", 1);
  const count = number("SPAWNSAFE_DIFFERENTIAL_COUNT", 120);
  const s = await checkMany(seed, count, 2);
  for (const line of yieldLine(s).split("\n")) console.log(`# ${line}`);

  // The generator's own bar: its programs run under fork, and plainly spawn-safe ones are common.
  assert.ok(s.invalid.length <= Math.ceil(count * 0.02), `${s.invalid.length} generated programs do not run under fork: ${s.invalid.map((v) => `${v.program.index} (${v.invalid})`).join(", ")}`);
  assert.ok(s.plain.spawnSame >= count / 5, `only ${s.plain.spawnSame} plainly spawn-safe programs run the same under spawn`);

  if (s.failures.length) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-differential-failures-"));
    for (const v of s.failures) keep(v, root);
    const groups = familyLines(s.verdicts, true).join("\n");
    const programs = s.failures.map((v) => `  ${v.program.index}: ${v.failure}`).join("\n");
    assert.fail(
      `${s.failures.length} safe fixes broke or half-migrated a working program (seed ${seed}; copies in ${root};` +
        ` reproduce one with: npm run differential -- --seed ${seed} --only INDEX)\nby family (failures of programs with it):\n${groups}\nprograms:\n${programs}`,
    );
  }
});
