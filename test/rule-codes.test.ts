// The layers above the rules never know a rule by its code: what the run, the engine or the
// report need of a rule is a property the rule declares (src/transform.ts), so a new rule with
// the same need is covered without touching them. verify (src/verify/) reports its runtime
// findings by code, as a rule does, and is left out.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./fixture-cases";

/** A finding code used as a value: compared, listed or passed (`=== "SPS103"`, `["SPS104", ...`), not quoted in a message. */
export function codesUsed(text: string): string[] {
  return [...text.matchAll(/(?:[=(\[,]|&&|\|\||\?|:)\s*["'`](SPS\d{3})["'`]/g)].map((m) => m[1]);
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return rel === "src/verify" ? [] : sources(rel);
    return e.name.endsWith(".ts") ? [rel] : [];
  });
}

test("no source file outside transforms/ and src/verify/ names a rule by its code", () => {
  const named = sources("src").flatMap((f) => codesUsed(fs.readFileSync(path.join(REPO_ROOT, f), "utf8")).map((c) => `${f}: ${c}`));
  assert.deepEqual(named, []);
});

test("the code finder sees a comparison and a list, not a code quoted in a message", () => {
  assert.deepEqual(codesUsed('if (f.code === "SPS103") x();\nconst S = new Set(["SPS104", "SPS105"]);'), ["SPS103", "SPS104", "SPS105"]);
  assert.deepEqual(codesUsed('throw new Error(`codes such as "SPS205", not ${x}`);'), []);
});
