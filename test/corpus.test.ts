// Real code nobody here wrote: the standard library and site-packages of the machine's
// python3 go through check and fix (into a scratch copy) without a crash; every rewritten
// file still parses under python3's ast; a second fix changes nothing; files with errors
// are ones CPython rejects too, and stay untouched.
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
const sitePackages = execFileSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).trim();

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

function copyPythonFiles(from: string, to: string, skipSitePackages: boolean): void {
  fs.cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const stat = fs.lstatSync(src);
      if (stat.isSymbolicLink()) return false;
      if (stat.isDirectory()) return !(skipSitePackages && path.basename(src) === "site-packages") && path.basename(src) !== "__pycache__";
      return src.endsWith(".py");
    },
  });
}

function corpusTest(name: string, root: string, skipSitePackages: boolean): void {
  test(`corpus: ${name} (${root})`, { timeout: 20 * 60 * 1000 }, () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `spawnsafe-corpus-${name}-`));
    try {
      copyPythonFiles(root, path.join(scratch, name), skipSitePackages);
      const checked = spawnsafe(["check", "--format", "json", name], scratch);
      assert.doesNotMatch(checked.stderr, /internal error/, checked.stderr);
      assert.ok([0, 1, 2].includes(checked.status!), `check exited ${checked.status}`);
      const checkReport: Report = JSON.parse(checked.stdout);
      assert.ok(checkReport.summary.files > 1000, `only ${checkReport.summary.files} files scanned`);

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

corpusTest("stdlib", stdlib, true);
if (fs.existsSync(sitePackages)) corpusTest("installed-packages", sitePackages, false);
