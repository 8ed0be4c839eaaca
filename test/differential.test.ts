// The differential test's generator (test/differential/generate.ts), fast tier: no python3 here
// (test/differential.slow.test.ts runs the programs). A seed reproduces its programs, the
// programs cover every family issue 17 names, and spawnsafe reads every one without an error.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generate } from "./differential/generate";
import { cli } from "./helpers/cli";

test("differential generator: a seed and an index give the same project every time, and programs differ", () => {
  const texts = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const a = generate(3, i);
    assert.deepEqual(generate(3, i), a);
    texts.add(JSON.stringify(a.files));
  }
  assert.ok(texts.size >= 45, `only ${texts.size} different programs of 50`);
  assert.notDeepEqual(generate(4, 0).files, generate(3, 0).files);
});

test("differential generator: 600 programs cover the families of issue 17, with plainly spawn-safe ones among them", () => {
  const seen = new Set<string>();
  let plain = 0;
  for (let i = 0; i < 600; i++) {
    const p = generate(1, i);
    for (const f of p.families) seen.add(f);
    if (p.plain) plain++;
  }
  const has = (pattern: RegExp) => [...seen].some((f) => pattern.test(f));
  const families: Record<string, RegExp> = {
    "Pool map/imap/starmap/apply_async, with and not": /^maker:pool-(map|imap|starmap|apply_async)-(with|plain)$/,
    "Pool without with": /^maker:pool-.*-plain$/,
    "ProcessPoolExecutor submit": /^maker:executor-submit$/,
    "ProcessPoolExecutor map": /^maker:executor-map$/,
    "multiprocessing.pool.Pool": /^pool:multiprocessing\.pool\.Pool$/,
    "ThreadPool() if X else Pool()": /^pool:threadpool-or-pool$/,
    "from multiprocessing import Pool": /^pool:from-import$|^import:from$/,
    "import multiprocessing as mp": /^import:alias$/,
    "Process target with kwargs": /^maker:process-queue-kwargs$/,
    "Process subclass handed a Pipe end": /^maker:process-subclass-pipe$/,
    "Queue/Event/Process trio": /^maker:queue-event-process/,
    "not joined": /^join:none$|^maker:process-lock-join-none$/,
    "join on one path only": /^maker:process-lock-join-one-path$/,
    "join with a timeout": /^maker:process-lock-join-timeout$/,
    "library module of a package reached from a script": /^structure:library-/,
    "globals assigned under the guard": /^read:assign-guard$/,
    "global write in main()": /^read:assign-function$/,
    "append/update/[k]=": /^read:(append|update|setitem)-(guard|function)$/,
    "setattr on a module": /^read:setattr-/,
    "globals()[...]": /^read:globals-/,
    exec: /^read:exec-/,
    "vars(...).update": /^read:vars-/,
    "import __main__": /^read:import-main-/,
    classmethod: /^read:classmethod-/,
    "type(obj)": /^read:type-obj-/,
    "next() on a module iterator": /^read:next-iterator-/,
    "mutable default cache": /^read:mutable-default-/,
    "monkeypatched stdlib function": /^read:monkeypatch-/,
    "attribute on a stdlib module": /^read:stdlib-attr-|^read:socket-timeout-/,
    "decimal context": /^read:decimal-/,
    "recursion limit": /^read:recursion-/,
    "warnings filters": /^read:warnings-/,
    "sys.modules entry": /^read:sys-modules-/,
    "logging configured in the parent": /^read:logging-(guard|function)$/,
    "decorator applied inside a function": /^read:decorator-registry-(guard|function)$/,
    "plugin import with __init_subclass__": /^read:plugin-registry-(guard|function)$/,
    "args.outdir from parse_args() under the guard": /^read:argparse-guard$/,
    "another module's state set by the script": /^read:lib-state-(attribute|setattr|vars)-/,
    "lock appended to a list": /^maker:crossing-lock-in-list$/,
    "lock added to kwargs by update": /^maker:crossing-kwargs-update$/,
    "lock set on an instance": /^maker:crossing-instance-attr$/,
    "lock set on a Process subclass": /^maker:crossing-subclass-attr$/,
    "target decorated without functools.wraps": /^maker:crossing-decorated$/,
    "staticmethod wrapping a closure": /^maker:crossing-staticmethod-closure$/,
    "dataclass or callable class under the guard or in a function": /^maker:(dataclass|callable)-(under-guard-pool|in-function-process)$/,
    "get_start_method()": /^identity:print-start-method$/,
    "current_process().name": /^identity:pool-worker-names$/,
    "isinstance(p, multiprocessing.Process)": /^identity:isinstance-process$/,
    "input() at module level": /^effect:input-module$/,
    "os.mkdir at module level": /^effect:mkdir-module$/,
    "print at module level": /^effect:print-module$/,
    "file write at module level": /^effect:write-module$/,
    "effects under the guard": /^effect:.*-guarded$/,
    "star import under the guard": /^read:star-import-guard$/,
    "--method forkserver with os.environ changed after the first start": /^maker:environ-after-first-start$/,
    "unguarded script": /^structure:unguarded$/,
  };
  const missing = Object.entries(families)
    .filter(([, pattern]) => !has(pattern))
    .map(([name]) => name);
  assert.deepEqual(missing, [], `families no program of 600 has`);
  assert.ok(seen.has("method:forkserver"));
  assert.ok(plain >= 120, `only ${plain} of 600 programs are built from spawn-safe choices only`);
});

test("differential generator: spawnsafe check reads 30 generated projects without an error", async () => {
  for (let i = 0; i < 30; i++) {
    const p = generate(2, i);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-differential-fast-"));
    try {
      for (const [rel, text] of Object.entries(p.files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const r = await cli(["check", "--method", p.method, "."], dir);
      assert.notEqual(r.status, 2, `program ${i}: ${r.stdout}${r.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
