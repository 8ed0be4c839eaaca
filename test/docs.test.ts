// Every finding is documented, and its declared fixability agrees with what its fixtures show.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { transforms } from "../transforms";
import { FIXTURES, REPO_ROOT } from "./fixture-cases";

const SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"];

test("codes are unique and well formed", () => {
  const codes = transforms.map((t) => t.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const t of transforms) {
    assert.match(t.code, /^SPS\d{3}$/);
    assert.match(t.name, /^[a-z]+(-[a-z]+)*$/);
  }
});

for (const t of transforms) {
  test(`${t.code} ${t.name}: documentation beside the transform, with every section`, () => {
    const file = path.join(REPO_ROOT, "transforms", `${t.name}.md`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, "transforms", `${t.name}.ts`)), `transforms/${t.name}.ts`);
    assert.ok(fs.existsSync(file), `missing transforms/${t.name}.md`);
    const doc = fs.readFileSync(file, "utf8");
    assert.ok(doc.startsWith(`# ${t.name} (${t.code})`), "the doc opens with its name and code");
    let last = -1;
    for (const section of SECTIONS) {
      const at = doc.indexOf(`\n${section}\n`);
      assert.ok(at > last, `"${section}" missing or out of order`);
      last = at;
    }
    assert.match(doc, new RegExp(`^Fix: ${t.fix}\\b`, "m"), `the doc's "Fix:" line must say ${t.fix}`);
  });

  test(`${t.code} ${t.name}: declared fixability (${t.fix}) agrees with the fixtures`, () => {
    const snapshots = fixtureSnapshots();
    const lines = snapshots.flatMap((s) => s.split("\n")).filter((l) => new RegExp(`^\\d+:\\d+ ${t.code}( |$)`).test(l));
    if (t.code === "SPS900") return; // reported by the engine; covered by test/formats.test.ts
    assert.ok(lines.length > 0, `no fixture reports ${t.code}`);
    const fixable = lines.filter((l) => l.includes(`${t.code} [*]`)).length;
    if (t.fix === "never") assert.equal(fixable, 0, `${t.code} is declared never fixable but a fixture fixes it`);
    if (t.fix === "always") assert.equal(fixable, lines.length, `${t.code} is declared always fixable but a fixture reports it unfixed`);
    if (t.fix === "sometimes") {
      assert.ok(fixable > 0, `${t.code} is declared sometimes fixable but no fixture fixes it`);
      assert.ok(fixable < lines.length, `${t.code} is declared sometimes fixable but every fixture fixes it: show a case it refuses, or declare it always`);
    }
  });
}

let cached: string[] | null = null;
function fixtureSnapshots(): string[] {
  if (cached) return cached;
  cached = [];
  for (const group of fs.readdirSync(FIXTURES)) {
    const groupDir = path.join(FIXTURES, group);
    if (!fs.statSync(groupDir).isDirectory()) continue;
    for (const name of fs.readdirSync(groupDir)) {
      const snap = path.join(groupDir, name, "findings.snap");
      if (fs.existsSync(snap)) cached.push(fs.readFileSync(snap, "utf8"));
    }
  }
  return cached;
}
