// Which words stand whole in a text (src/python/words.ts): the one pass the project model and the
// text gate ask, against a plain reference that cuts the text into Python's word runs.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { WordIndex, isWordChar, wordsAmong } from "../src/python/words";
import { random } from "./property/generate";

/** Every maximal run of word characters that is one of `wanted`. */
function reference(text: string, wanted: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  for (let i = 0; i < text.length; ) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && isWordChar(text.charCodeAt(j))) j++;
    if (wanted.has(text.slice(i, j))) found.add(text.slice(i, j));
    i = j;
  }
  return found;
}

const sorted = (s: Set<string>) => [...s].sort();

test("a word next to a character that continues a Python identifier is not whole", () => {
  const wanted = new Set(["run", "run_all", "jobs"]);
  assert.deepEqual(sorted(wordsAmong("érun runé run_allé 1run run_all2 jobsµ", wanted)), []);
  assert.deepEqual(sorted(wordsAmong("x.run()\nfrom .jobs import run_all\n", wanted)), ["jobs", "run", "run_all"]);
  assert.deepEqual(sorted(wordsAmong("run_all_x(run_)", wanted)), [], "a longer word holds them");
  // Words that are not plain ASCII are looked for too.
  assert.deepEqual(sorted(wordsAmong("from café import crème\ncafé.x", new Set(["café", "crème", "caf"]))), ["café", "crème"]);
  assert.deepEqual(sorted(wordsAmong("anything", new Set())), []);
});

test("wordsAmong agrees with Python's word runs on random texts", () => {
  const next = random(17);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const pieces = ["run", "run_all", "a", "_", "1", "é", "µ", ".", " ", "\n", "(", "x9", "jobs", "ab", "b", "ﬁ", "'", "#"];
  for (let round = 0; round < 400; round++) {
    const text = Array.from({ length: 1 + Math.floor(next() * 40) }, () => pick(pieces)).join("");
    // ASCII words only (one expression), and with a non-ASCII one (a scan).
    const ascii = new Set(Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(["run", "run_all", "a", "ab", "b", "x9", "jobs", "_", "1"])));
    const mixed = new Set([...ascii, pick(["é", "aé", "µrun", "runé"])]);
    for (const wanted of [ascii, mixed]) {
      assert.deepEqual(sorted(wordsAmong(text, wanted)), sorted(reference(text, wanted)), JSON.stringify({ text, wanted: [...wanted] }));
    }
    // The word index says the same of each word, searched and indexed.
    const searched = new WordIndex(text);
    const indexed = new WordIndex(text);
    indexed.wordsStartingWith("");
    for (const w of ascii) {
      // A number's letters are no word to the index (`1` alone is a number): only identifiers are asked of it.
      if (/^[0-9]/.test(w)) continue;
      assert.equal(searched.has(w), reference(text, new Set([w])).size > 0, JSON.stringify({ text, w }));
      assert.equal(indexed.has(w), searched.has(w), JSON.stringify({ text, w }));
    }
  }
});
