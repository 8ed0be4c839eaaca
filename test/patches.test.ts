// Patches of default-context factories in a project's code (src/project/patches.ts): each form
// a test writes is found, with its line; patches of anything else are not.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mayPatch, patchesIn } from "../src/project/patches";

test("every way a test patches a factory by name is found, with its line", () => {
  const text = [
    "import multiprocessing",
    'with mock.patch("pkg.mod.multiprocessing.Queue") as q: pass',
    "@patch('pkg.mod.Pool')",
    'def test(monkeypatch): monkeypatch.setattr("pkg.mod.multiprocessing.Lock", object)',
    'with mock.patch.object(multiprocessing, "Event"): pass',
    "mocker.patch(target='pkg.mod.Manager')",
  ].join("\n");
  assert.deepEqual(patchesIn(text), [
    { target: "pkg.mod.multiprocessing.Queue", line: 2 },
    { target: "pkg.mod.Pool", line: 3 },
    { target: "pkg.mod.multiprocessing.Lock", line: 4 },
    { target: "pkg.mod.Manager", line: 6 },
    { target: "multiprocessing.Event", line: 5 },
  ]);
  assert.equal(mayPatch(Buffer.from(text)), true);
});

test("patches of other names, and files that patch nothing of multiprocessing, are left out", () => {
  assert.deepEqual(patchesIn('mock.patch("pkg.mod.requests.get")\nmock.patch("Queue")\nsetattr(obj, "name", 1)\n'), []);
  assert.equal(mayPatch(Buffer.from('mock.patch("pkg.mod.Queue")\n')), false);
});
