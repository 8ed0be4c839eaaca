// The prefilters and gates (src/python/prefilter.ts) only skip work that cannot change the
// answer: with SPAWNSAFE_NO_PREFILTER=1 every file is parsed and every candidate looked up in
// the tree, and the findings and fixes must be the same, on every fixture and on the
// standard library of the machine's python3. A new prefilter is proven by this test.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fixtureCases, isProjectCase } from "./fixture-cases";
import { CLI } from "./helpers/cli";
import { stdlibDir } from "../bench/corpus";

interface Report {
  files: Array<{ path: string; decision: { role: string; reason: string } | null; findings: unknown[]; error: unknown; diff?: string }>;
}

/** `spawnsafe <args>` as JSON, with or without the prefilters. */
function run(args: string[], cwd: string, prefilters: boolean): Report {
  const env = { ...process.env, NO_COLOR: "1", SPAWNSAFE_NO_PREFILTER: prefilters ? "" : "1" };
  const r = spawnSync(process.execPath, [CLI, ...args, "--format", "json", "--no-cache", "--quiet"], { cwd, env, encoding: "utf8", maxBuffer: 1 << 30 });
  assert.ok(r.status === 0 || r.status === 1 || (r.status === 2 && r.stdout.startsWith("{")), `spawnsafe ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

/** What must not depend on the prefilters: every file's findings, error and diff; and its role, when it has one. */
function answers(report: Report): string[] {
  return report.files
    .map((f) => JSON.stringify([f.path, f.decision && f.decision.role !== "none" ? f.decision : null, f.findings, f.error, f.diff ?? null]))
    .sort();
}

function assertSame(args: string[], cwd: string): number {
  const filtered = answers(run(args, cwd, true));
  const unfiltered = answers(run(args, cwd, false));
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  assert.deepEqual({ onlyWithPrefilters: only(filtered, unfiltered), onlyWithout: only(unfiltered, filtered) }, { onlyWithPrefilters: [], onlyWithout: [] });
  return filtered.length;
}

/** Every fixture laid out as a project of its own under one folder (configuration errors left out: they stop a run). */
function fixtureTree(): { root: string; dirs: string[] } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-prefilter-")));
  const dirs: string[] = [];
  for (const c of fixtureCases()) {
    if (c.options.exit === 2) continue;
    const dir = path.join(root, `${c.group}__${c.name}`);
    if (isProjectCase(c)) {
      fs.cpSync(path.join(c.dir, "project"), dir, { recursive: true });
    } else {
      fs.cpSync(c.dir, dir, { recursive: true, filter: (src) => !/(^|[\\/])(output\.py|findings\.snap|case\.json|expected-stdout\.txt|input\.(py|ipynb))$/.test(src) });
      fs.mkdirSync(path.dirname(path.join(dir, c.options.path)), { recursive: true });
      fs.copyFileSync(path.join(c.dir, c.input), path.join(dir, c.options.path));
    }
    if (!["pyproject.toml", "setup.cfg", "setup.py"].some((m) => fs.existsSync(path.join(dir, m)))) fs.writeFileSync(path.join(dir, "pyproject.toml"), "");
    dirs.push(path.basename(dir));
  }
  return { root, dirs };
}

test("every fixture: the same findings and fixes with the prefilters off", () => {
  const { root, dirs } = fixtureTree();
  const checked = assertSame(["check", ...dirs], root);
  assertSame(["fix", "--dry-run", ...dirs], root);
  assert.ok(checked > 150, `only ${checked} files`);
});

test("the standard library: the same findings and fixes with the prefilters off", { timeout: 600_000 }, () => {
  const stdlib = stdlibDir();
  const checked = assertSame(["check", "."], stdlib);
  assertSame(["fix", "--dry-run", "."], stdlib);
  assert.ok(checked > 1000, `only ${checked} files`);
});
