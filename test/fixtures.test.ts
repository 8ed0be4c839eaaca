// One test per fixture folder: findings snapshot, exact output bytes, idempotence.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { processFile, type FileResult } from "../src/engine";
import { transforms } from "../transforms";
import { caseFileInfo, fixtureCases, type FixtureCase } from "./fixture-cases";

const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";

export function snapshotOf(result: FileResult): string {
  const lines = result.error ? [`error ${result.error.line}:${result.error.column} ${result.error.message}`] : [];
  for (const f of result.findings) lines.push(`${f.line}:${f.column} ${f.code}${f.fixable ? " [*]" : ""} ${f.message}`);
  return lines.join("\n") + "\n";
}

function compareOrUpdate(file: string, actual: Buffer, what: string): void {
  const actualFile = file.replace(/(\.[a-z]+)$/, ".actual$1");
  if (UPDATE) {
    fs.writeFileSync(file, actual);
    fs.rmSync(actualFile, { force: true });
    return;
  }
  const expected = fs.existsSync(file) ? fs.readFileSync(file) : null;
  if (expected && expected.equals(actual)) {
    fs.rmSync(actualFile, { force: true });
    return;
  }
  fs.writeFileSync(actualFile, actual);
  assert.fail(`${what} differs: diff ${path.relative(process.cwd(), file)} ${path.relative(process.cwd(), actualFile)}`);
}

for (const c of fixtureCases()) {
  test(`fixture ${c.group}/${c.name}`, () => checkCase(c));
}

function checkCase(c: FixtureCase): void {
  const input = fs.readFileSync(path.join(c.dir, c.input));
  const info = caseFileInfo(c);
  const options = { mode: c.options.mode, method: c.options.method };

  const checked = processFile(info, input, options, false);
  compareOrUpdate(path.join(c.dir, "findings.snap"), Buffer.from(snapshotOf(checked)), "findings");

  const fixed = processFile(info, input, options, true);
  const outputFile = path.join(c.dir, "output.py");
  if (fixed.output) {
    compareOrUpdate(outputFile, fixed.output, "output.py");
  } else if (UPDATE) {
    fs.rmSync(outputFile, { force: true });
  } else {
    assert.ok(!fs.existsSync(outputFile), "the fix changed nothing but output.py expects a change");
  }

  // A file with a syntax error is left untouched.
  if (checked.error) assert.equal(fixed.output, null, "a file with an error must not be rewritten");

  // Idempotence: the fixed file, fixed again, is unchanged.
  if (fixed.output) {
    const again = processFile(info, fixed.output, options, true);
    assert.equal(again.error, null, `second fix failed: ${again.error?.message}`);
    assert.equal(again.output, null, "a second fix changed the file again");
  }

  // The group names the transform the case is about: it must report there (or be a case left alone).
  const transform = transforms.find((t) => t.name === c.group);
  if (transform && !fs.existsSync(path.join(c.dir, "NO_FINDING"))) {
    assert.ok(checked.findings.some((f) => f.code === transform.code), `expected a ${transform.code} finding`);
  }
}
