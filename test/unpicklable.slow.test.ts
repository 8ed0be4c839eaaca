// The table of values spawn cannot hand to a child (src/python/unpicklable.ts), checked
// against the real interpreter: each value, made as the table says, is handed to a
// spawn-context Process, whose start() must fail with the table's error. Plain
// `pickle.dumps` is not the judge: multiprocessing's own pickler sends sockets and
// same-context queues fine and refuses what the table lists.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UNPICKLABLE, openError } from "../src/python/unpicklable";
import { python } from "../bench/corpus";

const SCRIPT = String.raw`
import json, multiprocessing, sys

def child(value):
    pass

def attempt(make):
    value = eval(make)
    p = multiprocessing.get_context("spawn").Process(target=child, args=(value,))
    try:
        p.start()
    except BaseException as e:
        return "%s: %s" % (type(e).__name__, e)
    p.join()
    return "ok"

if __name__ == "__main__":
    cases = json.load(sys.stdin)
    print(json.dumps({name: attempt(make) for name, make in cases.items()}))
`;

function attempts(cases: Record<string, string>): Record<string, string> {
  // A file, not `python -c`: spawned children import the main module.
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-pickle-")), "attempt.py");
  fs.writeFileSync(script, SCRIPT);
  const r = spawnSync(python(), [script], { input: JSON.stringify(cases), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("every known-unpicklable value fails to start a spawn child with the table's error", () => {
  const got = attempts(Object.fromEntries(Object.entries(UNPICKLABLE).map(([name, entry]) => [name, entry.make])));
  for (const [name, entry] of Object.entries(UNPICKLABLE)) {
    assert.equal(got[name], entry.error, `${name}: ${entry.make}`);
  }
});

test("files by mode, and values the table leaves out because spawn hands them over", () => {
  const got = attempts({
    rb: "open(__file__, 'rb')",
    ab: "open(__import__('os').devnull, 'ab')",
    rplus: "open(__import__('os').devnull, 'rb+')",
    socket: "__import__('socket').socket()",
    logger: "__import__('logging').getLogger('x')",
    queue: "multiprocessing.get_context('spawn').Queue()",
  });
  assert.equal(got.rb, openError("rb"));
  assert.equal(got.ab, openError("ab"));
  assert.equal(got.rplus, openError("rb+"));
  assert.equal(got.socket, "ok");
  assert.equal(got.logger, "ok");
  assert.equal(got.queue, "ok");
});
