// ruff's conventions, through the real CLI: the fix marks and the footer that counts them,
// summary lines that count what they say, fix's account of only the files it has something
// to say about, --diff, --exit-zero, --exit-non-zero-on-fix, --statistics, --show-fixes,
// --output-format (and $SPAWNSAFE_OUTPUT_FORMAT, json-lines), places left as they are in
// every format, and --summary-file.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "./helpers/cli";
import { APP, FIXED_APP } from "./helpers/race";
import { writeTree } from "./helpers/tree";
import { footer, statistics, statisticsText, type Counts } from "../src/report/counts";
import { markdownSummary } from "../src/report/markdown";
import { findingLine } from "../src/report/text-report";
import { transforms } from "../transforms/registry";
import type { FileResult, Finding } from "../src/engine";

/** Held back: SPS202 (a lambda target) keeps SPS102 from switching the file to spawn. */
const LAMBDA = 'import multiprocessing as mp\n\nif __name__ == "__main__":\n    p = mp.Process(target=lambda: print(1))\n    p.start()\n';
/** The method is read at run time: the file is left as it is, and the report says so. */
const CHOSEN = 'import multiprocessing as mp\nimport os\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    mp.set_start_method(os.environ.get("METHOD", "spawn"))\n    with mp.Pool(2) as p:\n        print(p.map(f, [1]))\n';
/** Already migrated: nothing to say. */
const MIGRATED = FIXED_APP;
const BROKEN = "import multiprocessing\ndef f(:\n";

function tree(extra: Record<string, string> = {}): string {
  return writeTree({ "app.py": APP, "lam.py": LAMBDA, "chosen.py": CHOSEN, "migrated.py": MIGRATED, "plain.py": "print('hi')\n", ...extra }, "spawnsafe-flags-");
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");
const lines = (text: string) => text.trimEnd().split("\n");
const TIME = "in \\d+\\.\\d\\d s";

test("check: each finding marked by its fix, a footer that counts them, a summary line that never says changed", async () => {
  const dir = tree();
  const r = await cli(["check", "."], dir);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(lines(r.stdout).map((l) => l.replace(/ (Processes|`mp\.Process|left as).*/, "")), [
    "app.py:7:10: SPS102 [*]",
    "chosen.py:8:5: note:",
    "lam.py:4:9: SPS102",
    "lam.py:4:27: SPS202",
  ]);
  const [foot, summary] = lines(r.stderr);
  assert.equal(foot, "3 findings, 1 fixable with `spawnsafe fix`");
  assert.match(summary, new RegExp(`^5 files scanned, 3 findings, no errors ${TIME}$`));
  const one = await cli(["check", "app.py"], dir);
  assert.match(one.stderr, new RegExp(`^1 finding, 1 fixable with \`spawnsafe fix\`\\n1 file scanned, 1 finding, no errors ${TIME}\\n$`));
  const none = await cli(["check", "migrated.py", "plain.py"], dir);
  assert.equal(none.status, 0);
  assert.match(none.stderr, new RegExp(`^2 files scanned, 0 findings, no errors ${TIME}\\n$`), "no footer without findings");
});

test("the footer's wording for every mix of safe, unsafe and unfixable findings", async () => {
  const c = (left: number, leftSafe: number, leftUnsafe: number): Counts => ({ files: 9, changed: 0, fixed: 0, left, leftSafe, leftUnsafe, errors: 0, skipped: 0 });
  assert.equal(footer("check", c(5, 3, 1), false), "5 findings, 3 fixable with `spawnsafe fix` (1 more with `--unsafe-fixes`)");
  assert.equal(footer("check", c(5, 3, 1), true), "5 findings, 4 fixable with `spawnsafe fix --unsafe-fixes`");
  assert.equal(footer("check", c(2, 0, 2), false), "2 findings, 2 fixable with `spawnsafe fix --unsafe-fixes`");
  assert.equal(footer("check", c(1, 1, 0), false), "1 finding, 1 fixable with `spawnsafe fix`");
  assert.equal(footer("check", c(2, 0, 0), false), "2 findings, none fixable by spawnsafe; `spawnsafe explain CODE` says what to do");
  assert.equal(footer("check", c(0, 0, 0), false), null);
  assert.equal(footer("fix", c(3, 0, 2), false), "3 findings left, 2 fixable with `spawnsafe fix --unsafe-fixes`");
  assert.equal(footer("fix", c(1, 0, 0), false), "1 finding left; `spawnsafe explain CODE` says what to do");
  assert.equal(footer("fix", c(0, 0, 0), false), null);
});

test("--unsafe-fixes reaches what check says fix would do; --cache is the default, said or not", async () => {
  const dir = tree();
  const r = await cli(["check", "--unsafe-fixes", "--cache", "app.py"], dir);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(lines(r.stderr)[0], "1 finding, 1 fixable with `spawnsafe fix --unsafe-fixes`");
});

test("an unsafe fix is marked [-] everywhere: the finding line, --statistics, the summary file's fix column and safety", () => {
  const finding = (over: Partial<Finding>): Finding => ({ code: "SPS102", name: "default-start-method", message: "m", line: 7, column: 10, endLine: 7, endColumn: 20, fixable: true, applicability: "unsafe", fixed: false, ...over });
  const result = (path: string, findings: Finding[], output: Buffer | null): FileResult => ({ path, decision: { role: "app", reason: "r" }, findings, error: null, before: "", after: "", output, passes: 1 });
  const left = result("a.py", [finding({}), finding({ line: 9, applicability: "safe" })], null);
  const fixedUnsafe = result("b.py", [finding({ fixed: true })], Buffer.from("x"));
  assert.equal(findingLine("a.py", left.findings[0], { color: false }), "a.py:7:10: SPS102 [-] m");
  assert.deepEqual(statisticsText(statistics([left, fixedUnsafe])), ["1\tSPS102\t[*] default-start-method", "1\tSPS102\t[-] default-start-method"]);
  const counts: Counts = { files: 2, changed: 1, fixed: 1, left: 2, leftSafe: 1, leftUnsafe: 1, errors: 0, skipped: 0 };
  const md = markdownSummary({ command: "fix", dryRun: false, results: [left, fixedUnsafe], counts, refused: null, pathErrors: [], version: "9.9.9", transforms, unsafeFixes: false });
  assert.match(md, /\| `b\.py` \| application: r \| \[SPS102\]\([^)]+\) default-start-method line 7 \(unsafe\) \|/);
  assert.match(md, /\| `a\.py:7:10` \| [^\n]* \| unsafe: `spawnsafe fix --unsafe-fixes`, after review \|/);
  assert.match(md, /\| `a\.py:9:10` \| [^\n]* \| safe: `spawnsafe fix` \|/);
});

test("fix: the account lists only the files it changed or has something to say about; the summary line counts fixes and what is left", async () => {
  const dir = tree();
  const r = await cli(["fix", "."], dir);
  assert.equal(r.status, 0, r.stderr);
  const out = lines(r.stdout);
  assert.match(out[0], /^app\.py: fixed 1 \(application: run as a program/);
  assert.match(out[1], /^ {2}7:10 SPS102 \[\*\] Processes are created with the default start method/);
  assert.match(out[2], /^chosen\.py: unchanged \(application: /);
  assert.match(out[3], /^ {2}8:5 note: left as it is: this `set_start_method` picks its method at run time/);
  assert.match(out[4], /^lam\.py: unchanged \(application: /);
  assert.match(out[5], /^lam\.py:4:9: SPS102 Processes are created/);
  assert.match(out[6], /^lam\.py:4:27: SPS202 /);
  assert.equal(out.length, 7, "migrated.py and plain.py have nothing to report");
  assert.deepEqual(lines(r.stderr), [lines(r.stderr)[0], lines(r.stderr)[1]]);
  assert.equal(lines(r.stderr)[0], "2 findings left; `spawnsafe explain CODE` says what to do");
  assert.match(lines(r.stderr)[1], new RegExp(`^5 files scanned, 1 changed \\(1 finding fixed\\), 2 findings left, no errors ${TIME}$`));
  assert.equal(read(dir, "app.py"), FIXED_APP);
  // Nothing left to do: the dry run says so in the same words.
  const again = await cli(["fix", "--dry-run", "app.py", "migrated.py"], dir);
  assert.equal(again.status, 0);
  assert.match(again.stderr, new RegExp(`^2 files scanned, 0 would change, 0 findings left, no errors ${TIME}\\n$`));
});

test("--diff is --dry-run for fix, and check --diff shows what fix would change; both write nothing and exit 1 when a fix would apply", async () => {
  const dir = tree();
  const dry = await cli(["fix", "--dry-run", "."], dir);
  const diff = await cli(["fix", "--diff", "."], dir);
  const checkDiff = await cli(["check", "--diff", "."], dir);
  for (const r of [dry, diff, checkDiff]) {
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^--- a\/app\.py\n\+\+\+ b\/app\.py\n@@ /);
  }
  assert.equal(diff.stdout, dry.stdout);
  assert.equal(checkDiff.stdout, dry.stdout);
  assert.equal(read(dir, "app.py"), APP, "nothing written");
  const clean = await cli(["check", "--diff", "migrated.py"], dir);
  assert.equal(clean.status, 0);
  assert.equal(clean.stdout, "");
});

test("--exit-zero turns findings and would-be changes into 0, never errors; --exit-non-zero-on-fix makes a change 1", async () => {
  const dir = tree();
  assert.equal((await cli(["check", "--exit-zero", "."], dir)).status, 0);
  assert.equal((await cli(["fix", "--diff", "--exit-zero", "."], dir)).status, 0);
  const broken = writeTree({ "app.py": APP, "broken.py": BROKEN }, "spawnsafe-flags-");
  assert.equal((await cli(["check", "--exit-zero", "."], broken)).status, 2, "an error is still 2");
  const changed = await cli(["fix", "--exit-non-zero-on-fix", "app.py"], dir);
  assert.equal(changed.status, 1, changed.stderr);
  assert.equal(read(dir, "app.py"), FIXED_APP);
  assert.equal((await cli(["fix", "--exit-non-zero-on-fix", "app.py"], dir)).status, 0, "nothing left to change");
  const piped = await cli(["fix", "--exit-non-zero-on-fix", "-", "--stdin-filename", "x.py"], dir, APP);
  assert.equal(piped.status, 1);
  assert.equal(piped.stdout, FIXED_APP);
});

test("--statistics: count, code, mark and name of what is left, a row per code and fix; as JSON too", async () => {
  const dir = tree({ "app2.py": APP });
  const r = await cli(["check", "--statistics", "."], dir);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "2\tSPS102\t[*] default-start-method\n1\tSPS102\t[ ] default-start-method\n1\tSPS202\t[ ] unpicklable-target\n");
  assert.match(r.stderr, /^6 files scanned, 4 findings, no errors/m);
  const json = JSON.parse((await cli(["check", "--statistics", "--output-format", "json", "."], dir)).stdout);
  assert.deepEqual(json[0], { code: "SPS102", name: "default-start-method", count: 2, fix: "safe" });
  const jsonLines = lines((await cli(["check", "--statistics", "--output-format", "json-lines", "."], dir)).stdout).map((l) => JSON.parse(l));
  assert.deepEqual(jsonLines, json);
  // After fix: what is left.
  const fixed = await cli(["fix", "--statistics", "."], dir);
  assert.equal(fixed.stdout, "1\tSPS102\t[ ] default-start-method\n1\tSPS202\t[ ] unpicklable-target\n");
  const sarif = await cli(["check", "--statistics", "--output-format", "sarif", "."], dir);
  assert.equal(sarif.status, 2);
  assert.match(sarif.stderr, /--statistics prints text, json or json-lines, not sarif/);
});

test("--show-fixes: check shows the diff fix would make after the findings, fix the diff of what it wrote", async () => {
  const dir = tree();
  const r = await cli(["check", "--show-fixes", "app.py", "lam.py"], dir);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^app\.py:7:10: SPS102 \[\*\] [^\n]*\n--- a\/app\.py\n\+\+\+ b\/app\.py\n@@ -4,5 \+4,6 @@\n[^]*\+    mp\.set_start_method\("spawn", force=True\)\n[^]*lam\.py:4:9: SPS102 /);
  assert.doesNotMatch(r.stdout, /--- a\/lam\.py/, "a held-back fix has no diff");
  assert.equal(read(dir, "app.py"), APP, "check writes nothing");
  const json = JSON.parse((await cli(["check", "--show-fixes", "--output-format", "json", "app.py"], dir)).stdout);
  assert.match(json.files[0].diff, /^--- a\/app\.py\n/);
  assert.equal(json.files[0].changed, false);
  const fix = await cli(["fix", "--show-fixes", "app.py"], dir);
  assert.match(fix.stdout, /^app\.py: fixed 1 \([^\n]*\n {2}7:10 SPS102 \[\*\] [^\n]*\n--- a\/app\.py\n\+\+\+ b\/app\.py\n/);
  assert.equal(read(dir, "app.py"), FIXED_APP);
});

test("--output-format (also --format, also $SPAWNSAFE_OUTPUT_FORMAT, the flag winning); json-lines: one typed object a line, the summary last", async () => {
  const dir = tree({ "broken.py": BROKEN });
  const viaEnv = await cli(["check", "."], dir, undefined, { SPAWNSAFE_OUTPUT_FORMAT: "json-lines" });
  const viaFlag = await cli(["check", "--output-format", "json-lines", "."], dir);
  assert.equal(viaEnv.stdout, viaFlag.stdout);
  const records = lines(viaFlag.stdout).map((l) => JSON.parse(l));
  assert.deepEqual([...new Set(records.map((x) => x.type))].sort(), ["error", "finding", "skipped", "summary"]);
  assert.deepEqual(records[records.length - 1], { type: "summary", command: "check", dryRun: false, files: 6, changed: 0, fixed: 0, findings: 3, errors: 1, skipped: 1 });
  assert.deepEqual(
    records.filter((x) => x.type === "finding").map((x) => `${x.path}:${x.line} ${x.code} ${x.applicability}`),
    ["app.py:7 SPS102 safe", "lam.py:4 SPS102 null", "lam.py:4 SPS202 null"],
  );
  assert.equal(JSON.parse((await cli(["check", "--format", "json", "."], dir)).stdout).version, 1, "--format is the same option");
  const flagWins = await cli(["check", "--output-format", "github", "app.py"], dir, undefined, { SPAWNSAFE_OUTPUT_FORMAT: "json" });
  assert.match(flagWins.stdout, /^::warning file=app\.py/);
  const fixed = lines((await cli(["fix", "--dry-run", "--output-format", "json-lines", "app.py"], dir)).stdout).map((l) => JSON.parse(l));
  assert.equal(fixed[0].type, "changed");
  assert.match(fixed[0].diff, /^--- a\/app\.py/);
  assert.equal(fixed[1].fixed, true);
});

test("every format counts the errors of the run alike: a path that is missing and a summary file that cannot be written", async () => {
  const dir = tree({ "broken.py": BROKEN });
  for (const format of ["json", "json-lines"]) {
    // broken.py, the missing path and /dev/full (writing to it fails with ENOSPC).
    const r = await cli(["check", "--format", format, "--summary-file", "/dev/full", ".", "missing.py"], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot write the summary file \/dev\/full: ENOSPC/);
    const summary = format === "json" ? JSON.parse(r.stdout).summary : JSON.parse(lines(r.stdout).pop()!);
    assert.equal(summary.errors, 3, format);
    assert.match(r.stderr, /, 3 errors in /);
  }
});

test("a place left as it is because the program already chose a method is reported in every format", async () => {
  const dir = tree();
  const why = /left as it is: this `set_start_method` picks its method at run time/;
  assert.match((await cli(["check", "chosen.py"], dir)).stdout, new RegExp(`^chosen\\.py:8:5: note: ${why.source}`));
  const json = JSON.parse((await cli(["check", "--output-format", "json", "chosen.py"], dir)).stdout);
  assert.equal(json.files[0].skipped.length, 1);
  assert.match(json.files[0].skipped[0].reason, why);
  assert.equal(json.summary.skipped, 1);
  const sarif = JSON.parse((await cli(["check", "--output-format", "sarif", "chosen.py"], dir)).stdout);
  const note = sarif.runs[0].invocations[0].toolExecutionNotifications[0];
  assert.equal(note.level, "note");
  assert.match(note.message.text, why);
  assert.equal(sarif.runs[0].invocations[0].executionSuccessful, true, "a note is not a failure");
  assert.match((await cli(["check", "--output-format", "github", "chosen.py"], dir)).stdout, /^::notice file=chosen\.py,line=8,col=5,title=spawnsafe%3A left as it is::left as it is: /m);
  // Another method than --method asks for: kept, and said.
  const forkserver = writeTree({ "srv.py": CHOSEN.replace('os.environ.get("METHOD", "spawn")', '"spawn"') }, "spawnsafe-flags-");
  assert.match((await cli(["fix", "--method", "forkserver", "srv.py"], forkserver)).stdout, /^ {2}8:5 note: left as it is: the program already chooses "spawn" here, so "forkserver" is not set over it$/m);
});

test("--summary-file: a Markdown summary for a pull request, with the fixes and their safety, what is left with links to the docs, what was left alone", async () => {
  const dir = tree({ "broken.py": BROKEN });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-summary-"));
  const file = path.join(out, "summary.md");
  const r = await cli(["fix", "--summary-file", file, "."], dir);
  assert.equal(r.status, 2, r.stderr);
  const md = fs.readFileSync(file, "utf8");
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).version;
  assert.match(md, /^## spawnsafe fix\n/);
  assert.match(md, /6 files scanned, \*\*1 changed\*\*, 1 finding fixed, \*\*2 findings left\*\*, \*\*1 error\*\*\./);
  assert.match(md, /### Files changed\n\n\| File \| Treated as \| Fixes \(safety\) \|\n\| --- \| --- \| --- \|\n\| `app\.py` \| application: run as a program[^|]*\| \[SPS102\]\(https:\/\/unpkg\.com\/spawnsafe@[\d.]+\/transforms\/default-start-method\.md\) default-start-method line 7 \(safe\) \|/);
  assert.ok(md.includes(`| \`lam.py:4:27\` | [SPS202](https://unpkg.com/spawnsafe@${version}/transforms/unpicklable-target.md) unpicklable-target: `), md);
  assert.match(md, /\| none: needs a person \|/);
  assert.match(md, /### Left as they are\n\n\| Where \| Why \|\n\| --- \| --- \|\n\| `chosen\.py:8:5` \| left as it is: /);
  assert.match(md, /### Not processed\n\n\| Where \| Error \|\n\| --- \| --- \|\n\| `broken\.py:2:7` \| syntax error/);
  // check writes one too, in the same form; a summary file that cannot be written is an error.
  assert.equal((await cli(["check", "--summary-file", file, "app.py"], dir)).status, 0);
  assert.match(fs.readFileSync(file, "utf8"), /^## spawnsafe check\n[^]*1 file scanned, \*\*0 findings left\*\*, no errors\./);
  // A summary into a folder that does not exist is a usage error, before the run (test/reliability.test.ts).
  const unwritable = await cli(["check", "--summary-file", path.join(out, "no", "such", "dir.md"), "app.py"], dir);
  assert.equal(unwritable.status, 2);
  assert.match(unwritable.stderr, /--summary-file .*: no such folder/);
});

test("--help lists every option of fix and check and explains the marks", async () => {
  for (const command of ["fix", "check"]) {
    const help = await cli([command, "--help"], os.tmpdir());
    assert.equal(help.status, 0);
    for (const flag of ["--diff", "--exit-zero", "--statistics", "--show-fixes", "--output-format", "--summary-file", "--unsafe-fixes", "--quiet", "--jobs"]) {
      assert.match(help.stdout, new RegExp(`^ +(-\\w, )?${flag}\\b`, "m"), `${command} --help: ${flag}`);
    }
    assert.match(help.stdout, /\[\*\] a safe fix, applied by `spawnsafe fix`; \[-\] an unsafe fix/);
    assert.match(help.stdout, /also --format/);
  }
  assert.match((await cli(["fix", "--help"], os.tmpdir())).stdout, /^ +--exit-non-zero-on-fix\b/m);
  assert.doesNotMatch((await cli(["check", "--help"], os.tmpdir())).stdout, /--exit-non-zero-on-fix|--dry-run|--allow-dirty/);
  const version = await cli(["--version"], os.tmpdir());
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
