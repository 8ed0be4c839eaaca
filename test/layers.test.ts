// Layers import only downward: text and tree → semantic model → the file and how it is treated →
// edits → the rule contract → rules (never each other) → engine → project and run → reports and
// command line. No two source files import each other, even through others, and no file name is
// used twice.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./fixture-cases";

/** Each source file's layer, by path from the repository root (first match wins). */
const LAYERS: Array<[RegExp, number, string]> = [
  [/^src\/(parse|trees|notebook|codecs|codecs-table)\.ts$/, 0, "text and tree"],
  [/^src\/python\//, 1, "semantic model"],
  // What a file is and how it is treated (its options, app or library): below the edits, which read them.
  [/^src\/(file-info|options|role)\.ts$/, 1.5, "file and treatment"],
  // Edits and the helpers that build them: what rules share, beside the model (STYLE.md).
  [/^src\/fix\//, 2, "edits"],
  [/^src\/(transform|runtime-rule|hazards|suppressions|skips)\.ts$/, 3, "rule contract"],
  [/^transforms\/(?!registry\.ts$)/, 4, "rules"],
  [/^transforms\/registry\.ts$/, 5, "the list of rules"],
  [/^src\/(engine|isolate)\.ts$/, 6, "engine"],
  [/^src\/(project\/|run-files\.ts$|stdin\.ts$|judge\.ts$)/, 7, "project and run"],
  [/^src\//, 8, "reports and command line"],
];
const RULES = 4;

/**
 * Imports that go up and are to go, as "from -> to" (none left: src/fix/ reads FileInfo and
 * Options from below the rule contract). The test fails on a line that no longer holds, so
 * this list can only shrink.
 */
const KNOWN_UPWARD: string[] = [];

/** Circles of imports that are to go, by the same rule (none left). */
const KNOWN_CIRCLES: string[][] = [];

/** File names used twice (none left since issue 21's renames); the same rule as KNOWN_UPWARD: it only shrinks. */
const KNOWN_SHARED_NAMES: string[] = [];

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
  return out.sort();
}

/**
 * The repository files a source imports (relative imports only), as paths from the root:
 * `import`, `import type`, `export … from`, `require("…")` and type positions `import("…")`.
 */
export function importsOf(file: string, text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8")): string[] {
  const specs = [...text.matchAll(/(?:\bfrom|\bimport|\brequire\(|\bimport\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return [...new Set(specs.map((spec) => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    return fs.existsSync(path.join(REPO_ROOT, `${base}.ts`)) ? `${base}.ts` : `${base}/index.ts`;
  }))];
}

function graph(): Map<string, string[]> {
  return new Map([...sources("src"), ...sources("transforms")].map((f) => [f, importsOf(f)]));
}

/** The groups of files that reach each other through imports (Tarjan's strongly connected components, size > 1 or a self-import). */
export function circles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(group.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The imports of `edges` that go up a layer (but the known ones) or from one rule to another. */
export function wrongImports(edges: Map<string, string[]>): string[] {
  const wrong: string[] = [];
  for (const [file, targets] of edges) {
    const [layer, name] = layerOf(file);
    for (const target of targets) {
      const [targetLayer, targetName] = layerOf(target);
      if (targetLayer > layer && !KNOWN_UPWARD.includes(`${file} -> ${target}`)) wrong.push(`${file} (${name}) imports ${target} (${targetName})`);
      if (layer === RULES && targetLayer === RULES) wrong.push(`${file} imports another rule, ${target}`);
    }
  }
  return wrong;
}

test("every import points to the same layer or one below; a rule never imports another rule", () => {
  assert.deepEqual(wrongImports(graph()), []);
});

test("the layer check sees src/fix/ import the rule contract, which imports src/fix/", () => {
  const edges = new Map([
    ["src/transform.ts", ["src/fix/edits.ts", "src/options.ts"]],
    ["src/fix/units.ts", ["src/transform.ts", "src/file-info.ts"]],
  ]);
  assert.deepEqual(wrongImports(edges), ["src/fix/units.ts (edits) imports src/transform.ts (rule contract)"]);
});

test("each known upward import still holds (when one is gone, take it off the list)", () => {
  const edges = graph();
  const gone = KNOWN_UPWARD.filter((line) => {
    const [from, to] = line.split(" -> ");
    return !(edges.get(from) ?? []).includes(to);
  });
  assert.deepEqual(gone, []);
});

test("no circle of imports between source files (but the known ones, which only shrink)", () => {
  assert.deepEqual(circles(graph()), KNOWN_CIRCLES);
});

test("the circle finder sees a circle through a third file and a type-only import", () => {
  const edges = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["a.ts"]],
  ]);
  assert.deepEqual(circles(edges), [["a.ts", "b.ts", "c.ts"]]);
  const text = 'import type { Edit } from "./fix/edits";\nconst x: import("./fix/guard").G = f();\nexport { y } from "./engine";\n';
  assert.deepEqual(importsOf("src/transform.ts", text), ["src/fix/edits.ts", "src/fix/guard.ts", "src/engine.ts"]);
});

test("no file name is used twice in src/ and transforms/ (but the known ones, which only shrink)", () => {
  const byName = new Map<string, string[]>();
  for (const file of graph().keys()) byName.set(path.posix.basename(file), [...(byName.get(path.posix.basename(file)) ?? []), file]);
  const shared = [...byName].filter(([, files]) => files.length > 1).map(([name]) => name).sort();
  assert.deepEqual(shared, KNOWN_SHARED_NAMES);
});
