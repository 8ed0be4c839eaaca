// Edits (src/fix/edits.ts): applying non-colliding edits, and tracing an index of the result
// back to the original text, which is how a finding keeps its identity across fix passes.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { applyEdits, backMap, chooseFixes, type Edit } from "../src/fix/edits";
// Seeded (mulberry32), so that a failure names its seed.
import { random } from "./property/generate";

test("every character an edit left in place traces back to its index; written text traces to nothing", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = random(seed);
    const int = (n: number) => Math.floor(r() * n);
    // Every character distinct, so that a wrong index cannot hold the same character by chance.
    const text = Array.from({ length: 20 + int(60) }, (_, i) => String.fromCharCode(0x4e00 + i)).join("");
    const proposed: Edit[] = Array.from({ length: 1 + int(6) }, () => {
      const start = int(text.length + 1);
      const end = r() < 0.4 ? start : Math.min(text.length, start + int(8));
      return { start, end, text: "#".repeat(int(5)) };
    });
    const edits = chooseFixes(proposed.map((e) => ({ edits: [e] }))).flatMap((f) => f.edits);
    const after = applyEdits(text, edits);
    const back = backMap(edits);
    let kept = 0;
    for (let i = 0; i < after.length; i++) {
      const at = back(i);
      if (after[i] === "#") {
        assert.equal(at, null, `seed ${seed}: index ${i} was written by an edit`);
        continue;
      }
      assert.notEqual(at, null, `seed ${seed}: index ${i} (${after[i]}) was in the original`);
      assert.equal(text[at!], after[i], `seed ${seed}: index ${i} traced to ${at}`);
      assert.ok(!edits.some((e) => e.start <= at! && at! < e.end), `seed ${seed}: ${at} lies in a replaced range`);
      kept++;
    }
    const removed = edits.reduce((n, e) => n + (e.end - e.start), 0);
    assert.equal(kept, text.length - removed, `seed ${seed}: every character left in place is traced`);
  }
});
