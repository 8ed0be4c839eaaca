// Layers import only downward: text and tree → semantic model → shared rule helpers → rules
// (never each other) → engine → project and run → reports and command line.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./fixture-cases";

/** Each source file's layer, by path from the repository root (first match wins). */
const LAYERS: Array<[RegExp, number, string]> = [
  [/^src\/(parse|trees|notebook|codecs|codecs-table)\.ts$/, 0, "text and tree"],
  [/^src\/python\//, 1, "semantic model"],
  [/^src\/(fix\/|transform\.ts$|suppressions\.ts$|role\.ts$|skips\.ts$)/, 2, "shared rule helpers"],
  [/^transforms\/(?!index\.ts$)/, 3, "rules"],
  [/^transforms\/index\.ts$/, 4, "the list of rules"],
  [/^src\/(engine|isolate)\.ts$/, 5, "engine"],
  [/^src\/(project\/|run\.ts$|stdin\.ts$|judge\.ts$)/, 6, "project and run"],
  [/^src\//, 7, "reports and command line"],
];

function layerOf(file: string): [number, string] {
  const found = LAYERS.find(([re]) => re.test(file));
  assert.ok(found, `no layer for ${file}`);
  return [found[1], found[2]];
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

/** The repository files a source imports (relative imports only), as paths from the root. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:from|import|require\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    return fs.existsSync(path.join(REPO_ROOT, `${base}.ts`)) ? `${base}.ts` : `${base}/index.ts`;
  });
}

test("every import points to the same layer or one below; a rule never imports another rule", () => {
  const wrong: string[] = [];
  for (const file of [...sources("src"), ...sources("transforms")]) {
    const [layer, name] = layerOf(file);
    for (const target of importsOf(file)) {
      const [targetLayer, targetName] = layerOf(target);
      if (targetLayer > layer) wrong.push(`${file} (${name}) imports ${target} (${targetName})`);
      if (layer === 3 && targetLayer === 3) wrong.push(`${file} imports another rule, ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});
