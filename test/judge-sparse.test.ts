// The judge compiles a large rewrite as its changed top-level statements only, once CPython
// has the whole original (src/judge.ts sparseRewrite), and the whole rewrite when that part
// is rejected.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { judgeResults, Judge, SPARSE_BYTES, sparseRewrite } from "../src/judge";
import { parsePython } from "../src/parse";
import type { FileResult } from "../src/engine";
import { fakePython } from "./helpers/fake-python";
import { spawnsafe } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const bin = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-fake-python-"));
const fake = fakePython(bin);

/** A module of `n` small functions and a main guard: over SPARSE_BYTES for n = 10,000. */
function generated(n: number, head = "import multiprocessing\n\n"): string {
  const parts = [head];
  for (let i = 0; i < n; i++) parts.push(`def f${i}(x):\n    return x + ${i}\n\n`);
  parts.push("def main():\n    with multiprocessing.Pool(2) as pool:\n        print(pool.map(f1, range(4)))\n\nif __name__ == '__main__':\n    main()\n");
  return parts.join("");
}

const GUARD = "if __name__ == '__main__':\n";
const withStart = (text: string, line = "    multiprocessing.set_start_method('spawn', force=True)\n") => text.replace(GUARD, GUARD + line);

function sparse(before: string, after: string, output = Buffer.from(after)): string | null {
  return sparseRewrite(before, after, output, parsePython(after))?.toString("utf8") ?? null;
}

test("a large rewrite is compiled as the statements that changed and those beside them, each on its own lines", () => {
  const before = generated(10_000);
  const after = withStart(before);
  assert.ok(Buffer.byteLength(after) >= SPARSE_BYTES);
  const cut = sparse(before, after)!;
  const lines = cut.split("\n");
  assert.equal(lines.length, after.split("\n").length, "every line where it was");
  const kept = lines.map((l, i) => [i, l] as const).filter(([, l]) => l !== "" && l !== "pass");
  const afterLines = after.split("\n");
  for (const [i, l] of kept) assert.equal(l, afterLines[i]);
  // The line after the kept ones holds `pass`, ending their blocks as the statement left out did.
  assert.equal(lines[kept[kept.length - 1][0] + 1], "");
  assert.deepEqual(
    kept.map(([, l]) => l),
    ["def main():", "    with multiprocessing.Pool(2) as pool:", "        print(pool.map(f1, range(4)))", GUARD.trimEnd(), "    multiprocessing.set_start_method('spawn', force=True)", "    main()"],
  );
});

test("edits far apart keep each their statements; an import added at the top keeps the statement after it", () => {
  const before = generated(10_000);
  const after = withStart(before).replace("import multiprocessing\n", "import multiprocessing\nimport os\n");
  const kept = sparse(before, after)!.split("\n").filter((l) => l !== "");
  assert.deepEqual(kept.slice(0, 5), ["import multiprocessing", "import os", "pass", "def f0(x):", "    return x + 0"]);
  assert.ok(kept.includes("    multiprocessing.set_start_method('spawn', force=True)"));
  assert.ok(kept.length < 20);
});

test("every statement up to the last future import is kept: an edit before one is CPython's to reject", () => {
  const head = '"""Doc."""\nfrom __future__ import annotations\nimport multiprocessing\n\n';
  const before = generated(10_000, head);
  const kept = sparse(before, withStart(before))!.split("\n").filter((l) => l !== "" && l !== "pass");
  assert.deepEqual(kept.slice(0, 3), ['"""Doc."""', "from __future__ import annotations", "import multiprocessing"]);
});

test("an indented line added where tree-sitter sees no statement is kept, and cannot join the kept block before it", () => {
  const before = generated(10_000).replace("def f5(x):\n    return x + 5\n\n", "def f5(x):\n    return x + 5\n\nimport re\n");
  const after = before.replace("import re\n", "import re\n    import os\n");
  const lines = sparse(before, after)!.split("\n");
  const at = after.split("\n").indexOf("    import os");
  assert.equal(lines[at], "    import os");
  // Whatever is kept above it, a `pass` at the start of a line stands between: CPython reads an unexpected indent, as in the whole file.
  const above = lines.slice(0, at).filter((l) => l !== "");
  assert.ok(above.length === 0 || above[above.length - 1] === "pass" || !/^\s/.test(above[above.length - 1]), JSON.stringify(above.slice(-3)));
});

test("compiled whole: a small file, a module-level global, a codec other than UTF-8, a lone CR, no tree", () => {
  const small = generated(10);
  assert.equal(sparse(small, withStart(small)), null);
  const before = generated(10_000);
  const globalAfter = withStart(before).replace("def main():", "if True:\n    global f2\ndef main():");
  assert.equal(sparse(before, globalAfter), null, "a global in the module's own scope");
  const inFunction = withStart(before).replace("def main():\n", "def main():\n    global f2\n");
  assert.ok(sparse(before, inFunction), "a global in a function is the function's");
  const nonlocal = withStart(before).replace("def main():", "if True:\n    nonlocal f2\ndef main():");
  assert.equal(sparse(before, nonlocal), null, "a nonlocal in the module's own scope");
  const inMethod = withStart(before).replace("def main():", "class C:\n    def m(self):\n        global f2  # global\n'global f3'\ndef main():");
  assert.ok(sparse(before, inMethod), "a global in a method, and the word in a comment and a string");
  const after = withStart(before);
  assert.equal(sparse(before, after, Buffer.from(after, "latin1").subarray(1)), null, "bytes other than the text's UTF-8");
  const cr = before.replace("def f0(x):\n", "def f0(x):\r");
  assert.equal(sparse(cr, withStart(cr)), null);
  assert.equal(sparseRewrite(before, after, Buffer.from(after), undefined), null);
  // A UTF-8 BOM stays in front of what is compiled.
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(after)]);
  assert.deepEqual(sparseRewrite(before, after, bom, parsePython(after))!.subarray(0, 3), Buffer.from([0xef, 0xbb, 0xbf]));
});

function result(before: string, after: string): FileResult {
  return {
    path: "m.py",
    decision: null,
    findings: [{ code: "SPS102", name: "n", message: "m", line: 1, column: 1, endLine: 1, endColumn: 2, fixable: true, applicability: "safe", fixed: true }],
    error: null,
    before,
    after,
    output: Buffer.from(after),
    passes: 1,
  };
}

async function judged(r: FileResult): Promise<number> {
  const log = path.join(bin, `starts-${process.pid}-${Math.random()}.log`);
  process.env.FAKE_PYTHON_LOG = log;
  try {
    await judgeResults([{ result: r, original: Buffer.from(r.before) }], new Judge(fake), (text) => (text === r.after ? parsePython(text) : undefined));
  } finally {
    delete process.env.FAKE_PYTHON_LOG;
  }
  return fs.readFileSync(log, "utf8").split("\n").filter(Boolean).length;
}

test("judgeResults: an accepted part of a rewrite stands for the rewrite; a rejected part has the whole rewrite judged, and that verdict stands", async () => {
  const before = generated(10_000);
  const good = result(before, withStart(before));
  assert.equal(await judged(good), 1, "one interpreter: the original and the part of the rewrite");
  assert.equal(good.error, null);
  assert.ok(good.output);
  // The fake rejects a source holding REJECT-REWRITE and a set_start_method( call: the part does, and so does the whole.
  const bad = result(before, withStart(before, "    multiprocessing.set_start_method('spawn', force=True)  # REJECT-REWRITE\n"));
  assert.equal(await judged(bad), 2, "a second interpreter for the whole rewrite");
  assert.equal(bad.output, null);
  const line = bad.before.split("\n").indexOf(GUARD.trimEnd()) + 2;
  assert.equal(bad.error!.message, `a fix (SPS102) produced code that CPython rejects (a spawnsafe bug, please report it): syntax error: rejected by the fake (CPython 3.99) at line ${line}:3 of the rewrite; file left untouched`);
});

test("fix --dry-run of a large module: CPython compiles the original while spawnsafe analyses it, then only the part of the rewrite that changed", () => {
  // The fake rejects a source holding REJECT-REWRITE and a set_start_method( call: the whole
  // rewrite would be rejected, the part compiled (without the comment on line 1) is not.
  const dir = writeTree({ "m.py": `# REJECT-REWRITE\n${generated(10_000)}` }, "spawnsafe-sparse-");
  const log = path.join(dir, "..", `${path.basename(dir)}.log`);
  const r = spawnsafe(["fix", "--dry-run", "--no-cache", "m.py"], dir, undefined, { SPAWNSAFE_PYTHON: fake, FAKE_PYTHON_LOG: log });
  assert.match(r.stdout, /^\+    multiprocessing\.set_start_method\("spawn", force=True\)$/m, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /CPython rejects/);
  assert.equal(fs.readFileSync(log, "utf8").split("\n").filter(Boolean).length, 2, "one interpreter for the original, started with the run; one for the rest");
});

test("the global and nonlocal statements are found at their words, not by a walk of the whole tree", () => {
  const before = generated(10_000);
  const after = withStart(before);
  const tree = parsePython(after);
  const root = tree.rootNode as unknown as { descendantsOfType: (...a: unknown[]) => unknown };
  const proto = Object.getPrototypeOf(root) as typeof root;
  const original = proto.descendantsOfType;
  let walks = 0;
  proto.descendantsOfType = function (this: { type: string }, ...a: unknown[]) {
    if (this.type === "module") walks++;
    return original.apply(this, a);
  };
  try {
    assert.ok(sparseRewrite(before, after, Buffer.from(after), tree));
  } finally {
    proto.descendantsOfType = original;
  }
  assert.equal(walks, 0);
});
