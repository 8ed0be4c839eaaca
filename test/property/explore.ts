// node dist/test/property/explore.js SEED COUNT RUN: runs the property and prints the failure classes (for exploring).
import { checkPrograms, failureClasses, keepFailures } from "./check";
import { resolvedPython } from "../helpers/cli";

async function main() {
  const [seed, count, run] = process.argv.slice(2).map(Number);
  const outcome = await checkPrograms({ seed, count, python: resolvedPython(), run: run || 0 });
  const { failures, ...rest } = outcome;
  console.log(JSON.stringify(rest));
  for (const c of failureClasses(failures)) console.log(`${String(c.count).padStart(5)}  ${c.first.property}: ${c.kind}  [seed ${c.first.program.seed} #${c.first.program.index}]  ${c.first.program.features.join(" ")}`);
  if (failures.length) console.log("kept in", keepFailures(failures));
}
void main();
