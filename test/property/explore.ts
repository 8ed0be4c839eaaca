// Exploring with the property test, outside the test runner:
//   node dist/test/property/explore.js SEED COUNT RUNS
// prints the figures and the failure classes (known or new), and keeps the failing programs.
import { checkPrograms, failureClasses, keepFailures } from "./check";
import { KNOWN } from "./known";
import { resolvedPython } from "../helpers/cli";

async function main() {
  const [seed, count, run] = process.argv.slice(2).map(Number);
  const outcome = await checkPrograms({ seed, count, python: resolvedPython(), run: run || 0 });
  const { failures, ...figures } = outcome;
  console.log(JSON.stringify(figures));
  for (const c of failureClasses(failures)) {
    const known = KNOWN.find((k) => k.matches(c.first));
    const all = failures.filter((f) => f.kind === c.kind);
    const unknown = all.filter((f) => !KNOWN.some((k) => k.matches(f))).length;
    console.log(`${String(c.count).padStart(5)} (${unknown} new)  ${c.first.property}: ${c.kind}  [seed ${c.first.program.seed} #${c.first.program.index}]  ${known ? `known: ${known.name}` : ""}`);
  }
  if (failures.length) console.log("kept in", keepFailures(failures));
}
void main();
