// Real code nobody here wrote: the standard library of the machine's python3, copied into a
// scratch folder (nothing else is read: not site-packages, whose contents differ from one
// machine to the next), goes through check and fix without a crash; every file laid out is
// scanned; every rewritten file still compiles under python3; a second fix changes nothing;
// files with errors are ones CPython rejects too, and stay untouched. The counts printed
// differ with the Python version; no assertion depends on them.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { spawnsafe } from "./helpers/cli";
import { pythonExecutable } from "./helpers/python";

const python = pythonExecutable();
const stdlib = execFileSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();

interface Report {
  summary: { files: number; changed: number; findings: number; fixed: number; errors: number };
  files: Array<{ path: string; changed: boolean; error: { message: string } | null }>;
}

/** The files among `files` that python3 cannot compile (its own verdict on them). */
function rejectedByPython(files: string[]): Set<string> {
  const script = [
    "import sys, json",
    "bad = []",
    "for f in json.load(sys.stdin):",
    "    try:",
    "        compile(open(f, 'rb').read(), f, 'exec', dont_inherit=True)",
    "    except (SyntaxError, ValueError, UnicodeDecodeError):",
    "        bad.append(f)",
    "print(json.dumps(bad))",
  ].join("\n");
  const out = execFileSync(python, ["-c", script], { input: JSON.stringify(files), encoding: "utf8", maxBuffer: 64 << 20 });
  return new Set(JSON.parse(out));
}

/** Copies the .py files of `from` (no site-packages, no links); returns how many. */
function copyPythonFiles(from: string, to: string): number {
  let count = 0;
  fs.cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const stat = fs.lstatSync(src);
      if (stat.isSymbolicLink()) return false;
      if (stat.isDirectory()) return !["site-packages", "dist-packages", "__pycache__"].includes(path.basename(src));
      if (src.endsWith(".py")) count++;
      return src.endsWith(".py");
    },
  });
  return count;
}

/** The .py files of a tree that a walk by spawnsafe covers (it skips folders such as build/ and venv/ that are not packages). */
function pythonFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(".py")) found.push(full);
    }
  };
  walk(dir);
  return found;
}

function corpusTest(name: string, root: string): void {
  test(`corpus: ${name} (${root})`, { timeout: 20 * 60 * 1000 }, () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `spawnsafe-corpus-${name}-`));
    try {
      const laidOut = copyPythonFiles(root, path.join(scratch, name));
      assert.equal(pythonFiles(path.join(scratch, name)).length, laidOut);
      const checked = spawnsafe(["check", "--format", "json", name], scratch);
      assert.doesNotMatch(checked.stderr, /internal error/, checked.stderr);
      assert.ok([0, 1, 2].includes(checked.status!), `check exited ${checked.status}`);
      const checkReport: Report = JSON.parse(checked.stdout);
      // The walk skips only what it says it skips: every file of a package, and no other.
      const scanned = new Set(checkReport.files.map((f) => path.join(scratch, f.path)));
      const walkedPast = pythonFiles(path.join(scratch, name)).filter((f) => !scanned.has(f));
      for (const f of walkedPast) assert.ok(skippedByDesign(path.relative(path.join(scratch, name), f)), `${f} was not scanned`);
      assert.ok(scanned.size > 0);

      // Every file spawnsafe could not process is one CPython rejects as well.
      const errored = checkReport.files.filter((f) => f.error).map((f) => path.join(scratch, f.path));
      const rejected = rejectedByPython(errored);
      for (const file of errored) assert.ok(rejected.has(file), `${file}: spawnsafe reported an error python3 does not see`);
      const erroredBytes = new Map(errored.map((f) => [f, fs.readFileSync(f)]));

      const fixed = spawnsafe(["fix", "--format", "json", name], scratch);
      assert.doesNotMatch(fixed.stderr, /internal error/, fixed.stderr);
      const fixReport: Report = JSON.parse(fixed.stdout);
      assert.ok(!fixReport.files.some((f) => f.error && /spawnsafe bug/.test(f.error.message)), "a fix produced invalid Python or did not settle");
      const changed = fixReport.files.filter((f) => f.changed).map((f) => path.join(scratch, f.path));
      const broken = rejectedByPython(changed);
      assert.deepEqual([...broken], [], "rewritten files that python3 cannot compile");
      for (const [file, bytes] of erroredBytes) assert.ok(fs.readFileSync(file).equals(bytes), `${file} was touched`);

      const again = spawnsafe(["fix", "--dry-run", "--format", "json", name], scratch);
      const againReport: Report = JSON.parse(again.stdout);
      assert.equal(againReport.summary.changed, 0, "a second fix changed files again");

      console.log(
        `# ${name}: ${checkReport.summary.files} files, ${checkReport.summary.findings} findings, ` +
          `${errored.length} errors (all rejected by python3 too), ${changed.length} files rewritten, all compile`,
      );
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}

/** A path inside the copy that the walk skips on purpose: a folder named like build output or a virtual environment that is not a package. */
function skippedByDesign(rel: string): boolean {
  const dirs = rel.split(path.sep).slice(0, -1);
  return dirs.some((d) => ["build", "dist", "venv", ".venv", "_build", "node_modules"].includes(d) || d.endsWith(".egg-info"));
}

corpusTest("stdlib", stdlib);
