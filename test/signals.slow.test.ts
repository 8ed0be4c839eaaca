// Signals through the real CLI, at points chosen without depending on the machine's speed
// (test/helpers/race.ts): during the writes of `fix`, SIGINT, SIGTERM, SIGHUP and SIGQUIT
// stop the run between two files, every file is old or new, no temporary file is left, and
// the exit status is 128 + the signal's number; during the parse in worker threads, SIGINT
// ends the run the same way, without an abort or a core file.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APP, FIXED_APP, appTree, commitAll, linkTurnedFifo, pausingGit, startCli, strayFiles, until } from "./helpers/race";

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

const SIGNALS = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
  ["SIGQUIT", 131],
] as const;

for (const [signal, status] of SIGNALS) {
  test(`${signal} during the writes: the run stops between two files, every file old or new, none half written, no temporary file left (exit ${status})`, async () => {
    const dir = appTree(40);
    // m0020.py is a link named on the command line: the run will wait at its write.
    const held = linkTurnedFifo(path.join(dir, "m0020.py"), APP);
    commitAll(dir);
    const git = pausingGit();
    const run = startCli(["fix", ".", "m0020.py"], dir, git.bin);
    await git.asked;
    held.turn();
    git.go();
    // m0000 to m0019 are written, then the run waits at m0020: the signal comes now.
    await until(() => read(dir, "m0019.py") === FIXED_APP);
    run.child.kill(signal);
    let exited = false;
    const r = await Promise.all([run.finished.finally(() => (exited = true)), held.release(() => exited)]).then(([finished]) => finished);
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, status, r.stderr);
    assert.match(r.stderr, /^spawnsafe: interrupted: 20 files written, every other file left as it was$/m);
    for (let i = 0; i < 40; i++) {
      const name = `m${String(i).padStart(4, "0")}.py`;
      if (i === 20) continue;
      assert.equal(read(dir, name), i < 20 ? FIXED_APP : APP, name);
    }
    assert.equal(fs.readFileSync(held.target, "utf8"), APP);
    assert.deepEqual(strayFiles(dir), [], "no temporary file is left");
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** A module of about `bytes` bytes that takes the parser a while. */
function bigModule(bytes: number): string {
  const parts = ["import multiprocessing as mp\n\n"];
  for (let i = 0, size = 0; size < bytes; i++) {
    const f = `def f${i}(x, y=None):\n    total = x * ${i} + (y or 0)\n    return [total, {'k${i}': total}, ('a', 'b')]\n\n`;
    parts.push(f);
    size += f.length;
  }
  parts.push('if __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(f1, [1]))\n');
  return parts.join("");
}

test("SIGINT while worker threads parse: exit 130, no abort, nothing left behind", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-sigint-"));
  const text = bigModule(1024 * 1024);
  for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(dir, `big${i}.py`), text);
  for (const command of [["fix", "--jobs", "2", "."], ["check", "--jobs", "2", "."]]) {
    // Node's own debug log says when each worker thread starts its script; from then on the
    // workers load the parser and parse eight files of 1 MB: the signal comes while they are at it.
    const run = startCli([...command, "--no-cache"], dir, undefined, { NODE_DEBUG: "worker" });
    let log = "";
    run.child.stderr!.on("data", (d) => (log += d));
    await until(() => (log.match(/starts worker script/g) ?? []).length >= 2 || run.child.exitCode !== null);
    assert.equal(run.child.exitCode, null, `the run ended before its worker threads started:\n${log}`);
    run.child.kill("SIGINT");
    const r = await run.finished;
    assert.doesNotMatch(r.stderr, /terminate called|Napi|Aborted|core dumped/);
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr.slice(-2000)}`);
    assert.equal(r.status, 130, r.stderr.slice(-2000));
    assert.match(r.stderr, /^spawnsafe: interrupted/m);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !/^big\d\.py$/.test(n)), [], "a core file or a temporary file was left");
    for (let i = 0; i < 8; i++) assert.equal(read(dir, `big${i}.py`), text);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
