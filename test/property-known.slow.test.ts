// Each known failure class of the property test (test/property/known.ts) still shows on its
// minimal program: when a transform's fix is corrected, this fails, and the class goes from
// known.ts (its program becomes a case under fixtures/).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { processFile } from "../src/engine";
import { judge } from "../src/judge";
import { runBoth } from "./property/check";
import { KNOWN } from "./property/known";
import { resolvedPython } from "./helpers/cli";
import { REPO_ROOT } from "./fixture-cases";

const python = resolvedPython();

test("the known failure classes of the property test each have their program", () => {
  for (const known of KNOWN) assert.ok(fs.existsSync(path.join(REPO_ROOT, "test", "property", "known", known.reproducer)), known.reproducer);
});

for (const known of KNOWN) {
  test(`known property failure still shows: ${known.name} (test/property/known/${known.reproducer})`, async () => {
    if (!python) throw new Error("needs python3 (or $SPAWNSAFE_PYTHON)");
    const text = fs.readFileSync(path.join(REPO_ROOT, "test", "property", "known", known.reproducer), "utf8");
    const fixed = processFile({ path: known.reproducer, packageDir: null, isMainModule: false }, Buffer.from(text), { mode: "auto", method: "spawn" }, true);
    assert.ok(fixed.output, `the fix no longer changes ${known.reproducer}: ${fixed.error?.message ?? "no change"}`);
    const answer = await judge([{ path: known.reproducer, bytes: Buffer.from(text) }, { path: "fixed.py", bytes: fixed.output }], python);
    assert.ok("verdicts" in answer);
    assert.ok(answer.verdicts[0].accepted, "the reproducer must compile");
    const rewrite = answer.verdicts[1];
    const program = { seed: 0, index: 0, text, bytes: Buffer.from(text), runnable: true, features: known.features };
    const failure = rewrite.accepted
      ? await runBoth(program, fixed.output, python)
      : { program, property: "compile" as const, kind: `CPython rejects the rewrite: ${rewrite.kind}: ${rewrite.message}`, detail: rewrite.message, fixed: null };
    assert.ok(failure && failure !== "not running", `${known.reproducer}: the fix is right now; move it to fixtures/ and drop "${known.name}" from test/property/known.ts`);
    assert.equal(failure.property, known.property, failure.detail);
    assert.ok(known.matches(failure), `${known.reproducer} now fails differently: ${failure.kind}\n${failure.detail}`);
  });
}

