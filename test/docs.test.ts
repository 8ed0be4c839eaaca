// Every finding is documented, and its declared fixability agrees with what its fixtures show.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { transforms } from "../transforms/registry";
import { FIXTURES, REPO_ROOT } from "./fixture-cases";
import { processFile } from "../src/engine";
import type { FileInfo } from "../src/file-info";

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
    const fixable = lines.filter((l) => l.includes(`${t.code} [*]`) || l.includes(`${t.code} [-]`)).length;
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

/**
 * The documentation's examples, run through the checker as typescript-eslint runs its docs:
 * the "Example" must give the finding, the "Use instead" must not. A comment
 * `<!-- file: pkg/work.py -->` before a block says where the file sits (a package directory
 * makes it library code; `__main__.py` a package's main module); the default is `script.py`.
 */
for (const t of transforms) {
  test(`${t.code} ${t.name}: the doc's Example gives the finding, its Use instead does not`, () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "transforms", `${t.name}.md`), "utf8");
    const example = codeBlock(doc, "## Example");
    const instead = codeBlock(doc, "## Use instead");
    assert.ok(example, "the Example has a python block");
    assert.ok(instead, "Use instead has a python block");
    const codes = (block: { file: string; code: string }) => processFile(exampleFile(block.file), exampleBytes(block), { mode: "auto", method: "spawn" }, false).findings.map((f) => f.code);
    assert.ok(codes(example).includes(t.code), `the Example (${example.file}) gives ${codes(example).join(", ") || "no finding"}, not ${t.code}`);
    assert.ok(!codes(instead).includes(t.code), `Use instead (${instead.file}) still gives ${t.code}`);
  });
}

function codeBlock(doc: string, section: string): { file: string; code: string } | null {
  const start = doc.indexOf(`\n${section}\n`);
  if (start < 0) return null;
  const end = doc.indexOf("\n## ", start + section.length + 2);
  const body = doc.slice(start, end < 0 ? undefined : end);
  // The block a `<!-- file: ... -->` comment names, else the first one.
  const blocks = [...body.matchAll(/(?:<!-- file: (\S+) -->\s*)?```python\n([\s\S]*?)```/g)];
  const match = blocks.find((b) => b[1]) ?? blocks[0];
  return match ? { file: match[1] ?? "script.py", code: match[2] } : null;
}

/** The block's bytes: for a notebook, a notebook whose cells are the parts of the block that `# cell N` lines open. */
function exampleBytes(block: { file: string; code: string }): Buffer {
  if (!block.file.endsWith(".ipynb")) return Buffer.from(block.code);
  const cells = block.code.split(/^# cell \d+\n/m).filter((c) => c.trim());
  const notebook = { cells: cells.map((c) => ({ cell_type: "code", metadata: {}, source: c.split(/(?<=\n)/) })), metadata: {}, nbformat: 4, nbformat_minor: 5 };
  return Buffer.from(JSON.stringify(notebook));
}

function exampleFile(file: string): FileInfo {
  const dir = path.posix.dirname(file);
  return { path: file, packageDir: dir === "." ? null : dir, isMainModule: path.posix.basename(file) === "__main__.py" };
}
