// The cache reader's fuzz through the real CLI (issue 20): every field of a real cache file
// rewritten with every JSON type other than its own; each run must end without an internal
// error and print what a run with --no-cache prints. (test/reliability.test.ts checks the
// same damaged files read as no cache, without running the CLI.)
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "./helpers/cli";
import { APP } from "./helpers/race";
import { writeTree } from "./helpers/tree";
import { cacheMutations } from "./helpers/cache-fuzz";

const JOBS = "import multiprocessing\n\ndef square(x):\n    return x * x\n\ndef run_all(n):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(square, range(n))\n";
const MAIN = "from pkg.jobs import run_all\n\nprint(run_all(3))\n";

test("a damaged cache file (each field of a real one, every other JSON type) gives the --no-cache output and no internal error", async () => {
  const files = { "pyproject.toml": "", "pkg/__init__.py": "", "pkg/jobs.py": JOBS, "main.py": MAIN, "app.py": APP };
  const dir = writeTree(files, "spawnsafe-cache-fuzz-");
  const when = new Date(Date.now() - 60_000);
  for (const f of Object.keys(files)) fs.utimesSync(path.join(dir, f), when, when);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-cache-fuzz-dir-"));
  const env = { SPAWNSAFE_CACHE_DIR: cache };
  const args = ["check", "--format", "json", "--jobs", "1", "."];
  const fresh = await cli(["check", "--format", "json", "--no-cache", "."], dir);
  const expected = JSON.stringify(JSON.parse(fresh.stdout).files);
  assert.equal((await cli(args, dir, undefined, env)).status, fresh.status);
  const { file, mutations } = cacheMutations(cache);
  for (const { where, data } of mutations) {
    fs.writeFileSync(file, data);
    const r = await cli(args, dir, undefined, env);
    assert.doesNotMatch(r.stderr, /internal error/, where);
    assert.equal(r.status, fresh.status, `${where}: ${r.stderr}`);
    assert.equal(JSON.stringify(JSON.parse(r.stdout).files), expected, where);
  }
  assert.ok(mutations.length > 300, `${mutations.length} damaged files`);
});
