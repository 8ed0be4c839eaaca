// One test per fixture folder: findings snapshot, exact output bytes, idempotence.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { processFile, type FileResult } from "../src/engine";
import { transforms } from "../transforms/registry";
import { caseFileInfo, fixtureCases, isProjectCase, type FixtureCase } from "./fixture-cases";
import { cli } from "./helpers/cli";
import { copyProjectToScratch, treeFiles } from "./helpers/project";
import type { JsonReport } from "../src/report/json";

const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";

export function snapshotOf(result: FileResult): string {
  const lines = result.error ? [`error ${result.error.line}:${result.error.column} ${result.error.message}`] : [];
  for (const f of result.findings) lines.push(`${f.line}:${f.column} ${f.code}${mark(f)} ${f.message}`);
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
  test(`fixture ${c.group}/${c.name}`, () => (isProjectCase(c) ? checkProject(c) : checkCase(c)));
}

/**
 * `check --format json .` over the project, in short: the exit status, then per file that
 * is not left alone its decision with the evidence, and its findings. A configuration
 * error gives the exit status and stderr instead.
 */
function projectSnapshot(status: number | null, stdout: string, stderr: string): string {
  if (status === 2 && !stdout) return `exit 2\n${stderr}`;
  const report = JSON.parse(stdout) as JsonReport;
  const lines = [`exit ${status}`];
  for (const f of report.files) {
    if (f.decision?.role === "none" && f.findings.length === 0 && !f.error) continue;
    lines.push(`${f.path}: ${f.decision ? `${f.decision.role} (${f.decision.reason})` : "no decision"}`);
    if (f.error) lines.push(`  error ${f.error.line}:${f.error.column} ${f.error.message}`);
    for (const x of f.findings) lines.push(`  ${x.line}:${x.column} ${x.code}${mark(x)} ${x.message}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * A project tree, checked and fixed with the real CLI over the whole tree: the findings and
 * decisions snapshot, every changed file equal to its copy under expected/ (a file absent
 * there must not change), and a second fix that changes nothing.
 */
async function checkProject(c: FixtureCase): Promise<void> {
  const scratch = copyProjectToScratch(c);
  try {
    const flags = c.options.flags;
    const checked = await cli(["check", "--format", "json", ...flags, "."], scratch);
    assert.doesNotMatch(checked.stderr, /internal error/, checked.stderr);
    compareOrUpdate(path.join(c.dir, "findings.snap"), Buffer.from(projectSnapshot(checked.status, checked.stdout, checked.stderr)), "findings");
    if (c.options.exit !== null) assert.equal(checked.status, c.options.exit, `check exited ${checked.status}:\n${checked.stderr}`);

    const fixed = await cli(["fix", ...flags, "."], scratch);
    const original = path.join(c.dir, "project");
    const expectedDir = path.join(c.dir, "expected");
    if (c.options.exit === 2) {
      assert.equal(fixed.status, 2, "a configuration error must stop fix with exit 2");
      assert.equal(fixed.stdout, "", "a configuration error prints nothing on stdout");
    } else {
      assert.equal(fixed.status, 0, `fix failed:\n${fixed.stdout}${fixed.stderr}`);
    }
    const changed = treeFiles(scratch).filter((f) => !fs.readFileSync(path.join(scratch, f)).equals(fs.readFileSync(path.join(original, f))));
    assert.deepEqual(treeFiles(scratch), treeFiles(original), "fix added or removed files");
    if (UPDATE) fs.rmSync(expectedDir, { recursive: true, force: true });
    for (const f of changed) {
      const target = path.join(expectedDir, f);
      if (UPDATE) fs.mkdirSync(path.dirname(target), { recursive: true });
      compareOrUpdate(target, fs.readFileSync(path.join(scratch, f)), `expected/${f}`);
    }
    const unchangedButExpected = treeFiles(expectedDir).filter((f) => !f.includes(".actual.") && !changed.includes(f));
    assert.deepEqual(unchangedButExpected, [], "files under expected/ that the fix left unchanged");

    if (c.options.exit !== 2) {
      const again = await cli(["fix", "--dry-run", ...flags, "."], scratch);
      assert.equal(again.status, 0, `a second fix would change files again:\n${again.stdout}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function checkCase(c: FixtureCase): void {
  const input = fs.readFileSync(path.join(c.dir, c.input));
  const info = caseFileInfo(c);
  const options = { mode: c.options.mode, method: c.options.method, unsafeFixes: c.options.unsafeFixes };

  const checked = processFile(info, input, options, false);
  compareOrUpdate(path.join(c.dir, "findings.snap"), Buffer.from(snapshotOf(checked)), "findings");

  const fixed = processFile(info, input, options, true);
  // Fixes that do not settle, or a rewrite that does not parse, are spawnsafe bugs: never a fixture's expectation.
  assert.ok(!/spawnsafe bug/.test(fixed.error?.message ?? ""), `fix failed: ${fixed.error?.message}`);
  const outputFile = path.join(c.dir, "output.py");
  if (fixed.output) {
    compareOrUpdate(outputFile, fixed.output, "output.py");
  } else if (UPDATE) {
    fs.rmSync(outputFile, { force: true });
  } else {
    assert.ok(!fs.existsSync(outputFile), "the fix changed nothing but output.py expects a change");
  }

  // `[*]` means fix applies it: every finding check marks safe is one fix fixes.
  const applied = new Set(fixed.findings.filter((f) => f.fixed).map((f) => `${f.code} ${f.line}:${f.column}`));
  for (const f of checked.findings.filter((f) => f.applicability === "safe")) {
    assert.ok(applied.has(`${f.code} ${f.line}:${f.column}`), `${f.code} ${f.line}:${f.column} is marked [*] but fix does not apply it`);
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

/** `[*]` for a safe fix, `[-]` for an unsafe one, nothing without a fix (as `check` prints them). */
function mark(f: { applicability?: string | null; fixable: boolean }): string {
  return f.applicability === "safe" ? " [*]" : f.applicability === "unsafe" ? " [-]" : "";
}
