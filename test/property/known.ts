// Failure classes of the property test that are known: each is a defect of a transform's fix
// logic (the lead's refactor of src/python and transforms/ owns them), with a minimal program
// that shows it in test/property/known/ (test/property-known.test.ts checks that each still
// does, so a fixed class is noticed and moved into fixtures/ as a case). The property test
// fails on every other failure; with SPAWNSAFE_PROPERTY_STRICT=1 on these too.
//
// CPython's judge (src/judge.ts) already keeps the rewrites of the "compile" classes from
// being written; the "run" classes are rewrites CPython accepts that change what the program does.
import * as assert from "node:assert/strict";
import { failureClasses, keepFailures, type Failure, type Outcome } from "./check";

export interface KnownClass {
  name: string;
  /** What the fix gets wrong. */
  about: string;
  /** Its minimal program, in test/property/known/, and the generator's features it stands for. */
  reproducer: string;
  features: string[];
  property: Failure["property"];
  matches: (f: Failure) => boolean;
}


/**
 * None now. The classes found so far (a module-level `global` moved under the guard, an `elif`
 * of the guard running in children, multiprocessing imported inside the guard, an assignment
 * moved under the guard while a default value reads it) are fixed; their programs are cases
 * under fixtures/ (missing-main-guard/global-statement-moved, module-level-work/guard-elif,
 * default-start-method/import-inside-guard, missing-main-guard/assignment-read-by-default).
 */
export const KNOWN: KnownClass[] = [];

/** The property's options from the environment, over the tier's defaults. */
export function propertyOptions(defaults: { count: number; run: number }): { seed: number; count: number; run: number; only: number | null } {
  const number = (name: string, fallback: number) => {
    const value = process.env[name];
    if (value === undefined || value === "") return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${value}`);
    return n;
  };
  const only = process.env.SPAWNSAFE_PROPERTY_ONLY;
  return {
    seed: number("SPAWNSAFE_PROPERTY_SEED", 20240613),
    count: number("SPAWNSAFE_PROPERTY_COUNT", defaults.count),
    run: number("SPAWNSAFE_PROPERTY_RUN", defaults.run),
    only: only ? number("SPAWNSAFE_PROPERTY_ONLY", 0) : null,
  };
}

/** Fails on every failure outside the known classes (all of them when strict); prints the figures either way. */
export function assertProperty(outcome: Outcome, seed: number): void {
  const strict = process.env.SPAWNSAFE_PROPERTY_STRICT === "1";
  const knownOf = (f: Failure) => KNOWN.find((k) => k.matches(f)) ?? null;
  const unknown = outcome.failures.filter((f) => strict || !knownOf(f));
  const known = outcome.failures.filter((f) => knownOf(f));
  const { engine, judge, run } = outcome.seconds;
  console.log(
    `# property (seed ${seed}): ${outcome.programs} programs, ${outcome.changed} changed, ${outcome.rejectedOriginals} rejected by CPython as generated, ` +
      `${outcome.ran} run (${outcome.notRunning} did not run as generated); ${outcome.failures.length} failures, ${known.length} of known classes; ` +
      `engine ${engine.toFixed(1)} s, CPython ${judge.toFixed(1)} s, runs ${run.toFixed(1)} s`,
  );
  for (const k of KNOWN) {
    const n = known.filter((f) => knownOf(f) === k).length;
    if (n > 0) console.log(`#   known: ${k.name}: ${n} (test/property/known/${k.reproducer})`);
  }
  if (unknown.length === 0) return;
  const kept = keepFailures(unknown);
  const lines = failureClasses(unknown).map(
    (c) => `  ${c.count} x ${c.first.property}: ${c.kind}\n     first: SPAWNSAFE_PROPERTY_SEED=${seed} SPAWNSAFE_PROPERTY_ONLY=${c.first.program.index} (${c.first.program.features.join(" ")})`,
  );
  assert.fail(`${unknown.length} generated programs break the property (seed ${seed}); programs, rewrites and details kept in ${kept}\n${lines.join("\n")}`);
}
