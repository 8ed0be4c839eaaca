// The judge of a rewrite is CPython: every runnable fixture runs under python3 before and
// after `spawnsafe fix`; after it, the same stdout, exit status 0, and no os.fork() call.
// The cases are split in shards (runtime-N.slow.test.ts), each a test file of its own, so
// that the test command runs them side by side: most of a case's time is spent waiting for
// its processes to start and stop.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyFixtureToScratch, runPython as runPythonIn, runPythonUntil } from "./helpers/python";
import { cli } from "./helpers/cli";
import { copyProjectToScratch, projectCommand } from "./helpers/project";
import { fixtureCases, isProjectCase, type FixtureCase } from "./fixture-cases";

/** Declares the runtime tests of shard `shard` (1-based) of `shards`. */
export function runtimeTests(shard: number, shards: number): void {
  const runnable = fixtureCases().filter((c) => c.options.run !== false);
  runnable.forEach((c, i) => {
    if (i % shards === shard - 1) test(`runtime ${c.group}/${c.name}`, () => runCase(c));
  });
}

async function runCase(c: FixtureCase): Promise<void> {
  const { timeout, forksBefore, hangsBefore, failsBefore } = c.options;
  // A project case runs its tree as users do (a script, `python -m`, a console script).
  const scratch = isProjectCase(c) ? copyProjectToScratch(c) : copyFixtureToScratch(c.dir, c.options.path);
  const command = isProjectCase(c) ? projectCommand(c, scratch) : { entry: c.options.run as string, args: c.options.args, pythonPath: [], scratch: null };
  const { entry, args } = command;
  const runPython = (cwd: string, file: string, opts: Parameters<typeof runPythonIn>[2]) => runPythonIn(cwd, file, { ...opts, pythonPath: command.pythonPath });
  try {
    let expected: string;
    // A program that fails under fork (Python's default here) cannot give the expected output unfixed.
    if (hangsBefore || (failsBefore && c.options.failsBeforeUnder === "fork")) {
      expected = fs.readFileSync(path.join(c.dir, "expected-stdout.txt"), "utf8");
    } else {
      const before = runPython(scratch, entry, { args, timeoutSec: timeout });
      assert.equal(before.timedOut, false, `the unfixed program hung:\n${before.stderr}`);
      assert.equal(before.status, 0, `the unfixed program failed:\n${before.stderr}`);
      if (forksBefore) assert.ok(before.forks > 0, "the unfixed program was expected to call os.fork()");
      expected = before.stdout;
      if (c.options.expectedAfter) {
        // The fix is meant to change what the program prints: the unfixed output shows the hazard.
        expected = fs.readFileSync(path.join(c.dir, c.options.expectedAfter), "utf8");
        assert.notEqual(before.stdout, expected, "the unfixed program already prints the expected output");
      }
    }
    if (failsBefore) {
      // The hazard is real: the unfixed program, with spawn (or failsBeforeUnder) as the default method, breaks.
      const method = c.options.failsBeforeUnder;
      // Stopped as soon as the failure shows: many such programs then hang.
      const broken = await runPythonUntil(scratch, entry, failsBefore, { args, timeoutSec: Math.min(timeout, 20), method, pythonPath: command.pythonPath });
      assert.ok(broken.timedOut || broken.stderr.includes(failsBefore), `expected "${failsBefore}" under ${method} before the fix:\n${broken.stderr}`);
    }

    const flags = isProjectCase(c) ? c.options.flags : ["--mode", c.options.mode, "--method", c.options.method, ...(c.options.unsafeFixes ? ["--unsafe-fixes"] : [])];
    const fix = await cli(["fix", ...flags, "."], scratch);
    assert.equal(fix.status, 0, `spawnsafe fix failed:\n${fix.stdout}${fix.stderr}`);

    const after = runPython(scratch, entry, { args, timeoutSec: timeout });
    assert.equal(after.timedOut, false, `the fixed program hung:\n${after.stderr}`);
    assert.equal(after.status, 0, `the fixed program failed:\n${after.stderr}`);
    assert.equal(after.stdout, expected, "the fixed program printed something else");
    if (c.options.forksAfter) {
      assert.ok(after.forks > 0, "an explicit fork choice must be kept");
    } else {
      // forkserver's server forks the children itself; the program must not.
      assert.equal(after.forks - after.forkserverForks, 0, `the fixed program still calls os.fork():\n${after.forkLog.join("\n")}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    if (command.scratch) fs.rmSync(command.scratch, { recursive: true, force: true });
  }
}
