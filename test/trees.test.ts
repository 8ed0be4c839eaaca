// The run's trees by text (src/trees.ts): one parse per text, and only what the run still needs kept.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Trees } from "../src/trees";

test("a text's tree is parsed once and kept; retain() and the budget drop the others", () => {
  const trees = new Trees(40);
  const a = "x = 1\n".repeat(3);
  const b = "y = 2\n".repeat(3);
  const first = trees.parse(a);
  assert.equal(trees.parse(a), first, "the same tree, not a new parse");
  assert.equal(trees.parse(a.slice(0, 6) + a.slice(6)), first, "by text, not by string object");
  trees.parse(b);
  assert.ok(trees.peek(a) && trees.peek(b), "36 characters, within a budget of 40");
  const c = "z = 3\n".repeat(3);
  trees.parse(c);
  assert.equal(trees.peek(a), undefined, "54 characters: the oldest goes");
  assert.ok(trees.peek(b) && trees.peek(c));
  trees.retain([c]);
  assert.equal(trees.peek(b), undefined);
  assert.ok(trees.peek(c));
  trees.clear();
  assert.equal(trees.peek(c), undefined);
});
