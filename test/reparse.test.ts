// A rewrite's tree is parsed incrementally from its original's (src/parse.ts reparsePython):
// it must be the tree a whole parse gives, node for node, place for place.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePython, reparsePython, type SyntaxNode, type TextEdit, type Tree } from "../src/parse";
import { applyEdits } from "../src/fix/edits";
import { Trees } from "../src/trees";

/** Every node of the tree, with its kind and its place in indices and rows. */
function shape(tree: Tree): string[] {
  const out: string[] = [];
  const visit = (n: SyntaxNode) => {
    out.push(`${n.type}${n.isMissing ? "!" : ""} ${n.startIndex}-${n.endIndex} ${n.startPosition.row}:${n.startPosition.column}-${n.endPosition.row}:${n.endPosition.column}`);
    for (const child of n.children) visit(child);
  };
  visit(tree.rootNode);
  return out;
}

function same(before: string, edits: TextEdit[], why: string): void {
  const after = applyEdits(before, edits as Parameters<typeof applyEdits>[1]);
  const old = parsePython(before);
  const oldShape = shape(old);
  const kept = reparsePython(before, old, after, edits, true);
  assert.deepEqual(shape(kept), shape(parsePython(after)), `${why}: the incremental tree is the whole parse's`);
  assert.equal(kept.rootNode.text, parsePython(after).rootNode.text);
  assert.deepEqual(shape(old), oldShape, `${why}: the original's tree is left as it was when it is kept`);
  assert.deepEqual(shape(reparsePython(before, old, after, edits, false)), shape(parsePython(after)), `${why}: edited in place`);
}

const PROGRAM = [
  "import multiprocessing\n",
  "# é, 😀 and ü before the edits: indices are UTF-16 units\n",
  "TABLE = {'ü': 1, \"😀\": 2}\n",
  "\n",
  "def work(x):\n",
  "\tif x:\n",
  "\t\treturn x + 1  # a tab-indented body\n",
  "\treturn 0\n",
  "\n",
  "def main():\n",
  "    with multiprocessing.Pool(2) as pool:\n",
  "        print(pool.map(work, range(4)))\n",
  "\n",
  "if __name__ == '__main__':\n",
  "    main()\n",
].join("");

test("an inserted line, a replaced name, several edits at once, at the start and the end: the same tree as a whole parse", () => {
  const guard = PROGRAM.indexOf("    main()");
  same(PROGRAM, [{ start: guard, end: guard, text: '    multiprocessing.set_start_method("spawn", force=True)\n' }], "a line in the guard");
  const pool = PROGRAM.indexOf("multiprocessing.Pool");
  same(PROGRAM, [{ start: pool, end: pool + "multiprocessing.Pool".length, text: "multiprocessing.get_context('spawn').Pool" }], "a call replaced");
  same(PROGRAM, [
    { start: 0, end: 0, text: "import os\n" },
    { start: pool, end: pool + "multiprocessing".length, text: "multiprocessing.get_context('spawn')" },
    { start: guard, end: guard, text: "    os.environ['X'] = 'ü😀'\n" },
    { start: PROGRAM.length, end: PROGRAM.length, text: "# end\n" },
  ], "four edits");
  const body = PROGRAM.indexOf("def main");
  same(PROGRAM, [{ start: body, end: PROGRAM.indexOf("if __name__"), text: "" }], "a function removed");
  same(PROGRAM, [{ start: guard, end: guard, text: "    a = 1\n" }, { start: guard, end: guard, text: "    b = 2\n" }], "two insertions at one place");
  const dedent = PROGRAM.indexOf("\treturn 0");
  same(PROGRAM, [{ start: dedent, end: dedent + 1, text: "\t\t" }], "a line indented deeper");
  same(PROGRAM.replace(/\n/g, "\r\n"), [{ start: 0, end: 0, text: "import os\r\n" }], "CRLF line endings");
});

test("edits that do not make the rewrite from the original: the rewrite is parsed whole, and right", () => {
  const before = "x = 1\ny = 2\n";
  const after = "x = 1\nz = 3\n";
  const old = parsePython(before);
  // The edit says line 1 changed; the text says line 2 did.
  const tree = reparsePython(before, old, after, [{ start: 0, end: 1, text: "x" }], true);
  assert.deepEqual(shape(tree), shape(parsePython(after)));
  const cr = "x = 1\ry = 2\n";
  assert.deepEqual(shape(reparsePython(cr, parsePython(cr), cr + "z = 3\n", [{ start: cr.length, end: cr.length, text: "z = 3\n" }], true)), shape(parsePython(cr + "z = 3\n")), "a lone CR");
});

test("random one-line edits of the fixtures give the whole parse's tree", () => {
  const root = path.join(__dirname, "..", "..", "fixtures");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith(".py")) files.push(path.join(dir, e.name));
    }
  };
  walk(root);
  assert.ok(files.length > 50);
  let seed = 18;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const lines = ["    pass\n", "x = 1\n", "if __name__ == '__main__':\n    main()\n", "def f(:\n", "'''\n", "# ü😀\n", "\tpass\n"];
  for (const file of files.slice(0, 120)) {
    const text = fs.readFileSync(file, "utf8");
    const starts = [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)].filter((i) => i <= text.length);
    const at = starts[random(starts.length)];
    const end = Math.min(text.length, at + random(12));
    same(text, [{ start: at, end: random(2) ? at : end, text: lines[random(lines.length)] }], path.relative(root, file));
  }
});

test("a kept tree is edited into the rewrite's, which is kept; the original's, asked again, is made from it incrementally", () => {
  const trees = new Trees();
  const original = trees.parse(PROGRAM);
  const guard = PROGRAM.indexOf("    main()");
  const edits = [{ start: guard, end: guard, text: "    pass\n" }];
  const after = applyEdits(PROGRAM, edits);
  const rewritten = trees.reparse(PROGRAM, original, after, edits);
  assert.equal(trees.peek(after), rewritten);
  assert.equal(trees.peek(PROGRAM), undefined, "no copy of the original's tree was made");
  assert.deepEqual(shape(rewritten), shape(parsePython(after)));
  assert.equal(trees.reparse(PROGRAM, original, after, edits), rewritten, "asked again: the kept one");
  // Asked again (the file processed again in a later round): made from the rewrite's, which stays as it is.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const TreeSitter = require("tree-sitter") as { prototype: { parse: (...a: unknown[]) => Tree } };
  const parse = TreeSitter.prototype.parse;
  const calls: boolean[] = [];
  TreeSitter.prototype.parse = function (this: unknown, ...a: unknown[]) {
    calls.push(a[1] !== undefined);
    return parse.apply(this, a);
  };
  let again: Tree;
  try {
    again = trees.parse(PROGRAM);
  } finally {
    TreeSitter.prototype.parse = parse;
  }
  assert.ok(calls.length > 0 && calls.every((incremental) => incremental), "incremental parses only");
  assert.equal(again.rootNode.text, PROGRAM);
  assert.deepEqual(shape(again), shape(parsePython(PROGRAM)));
  assert.equal(trees.parse(PROGRAM), again, "and kept");
  assert.deepEqual(shape(trees.peek(after)!), shape(parsePython(after)), "the rewrite's tree is left as it was");
  // Two passes: the original is made again through the first rewrite, whose tree the second pass edited.
  const second = [{ start: 0, end: 0, text: "# two\n" }];
  const twice = applyEdits(after, second);
  trees.reparse(after, rewritten, twice, second);
  trees.retain([twice]);
  assert.deepEqual(shape(trees.parse(PROGRAM)), shape(parsePython(PROGRAM)));
  assert.deepEqual(shape(trees.parse(after)), shape(parsePython(after)));
});
