// The cache of results between runs (src/project/cache.ts), through the real CLI: a kept
// result is used (shown by tampering with it), and never once its file, a module it calls
// into, or spawnsafe's build has changed.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const JOBS = "import multiprocessing\n\ndef square(x):\n    return x * x\n\ndef run_all(n):\n    with multiprocessing.Pool(2) as pool:\n        return pool.map(square, range(n))\n";
const MAIN = "from pkg.jobs import run_all\n\nprint(run_all(3))\n";
const TAMPERED = "a message from the cache";

interface Report {
  files: Array<{ path: string; findings: Array<{ code: string; message: string }> }>;
}

/** A project whose files were last written a minute ago (files written just now are not cached). */
function project(): string {
  const dir = writeTree({ "pyproject.toml": "", "pkg/__init__.py": "", "pkg/jobs.py": JOBS, "main.py": MAIN }, "spawnsafe-cache-");
  for (const f of ["pyproject.toml", "pkg/__init__.py", "pkg/jobs.py", "main.py"]) backdate(path.join(dir, f));
  return dir;
}

function backdate(file: string, seconds = 60): void {
  const when = new Date(Date.now() - seconds * 1000);
  fs.utimesSync(file, when, when);
}

function cacheDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-cache-dir-"));
}

async function check(dir: string, cache: string, args: string[] = []): Promise<{ report: Report; status: number | null; stderr: string }> {
  const r = await cli(["check", "--format", "json", ...args, "."], dir, undefined, { SPAWNSAFE_CACHE_DIR: cache });
  return { report: JSON.parse(r.stdout) as Report, status: r.status, stderr: r.stderr };
}

function messages(report: Report): Record<string, string[]> {
  return Object.fromEntries(report.files.map((f) => [f.path, f.findings.map((x) => `${x.code} ${x.message}`)]));
}

/** The one cache file of the folder, parsed, and a function writing it back. */
function cacheFile(cache: string): { data: { tool: string; files: Record<string, { results: Record<string, { findings: Array<{ message: string }> }> }> }; write: () => void } {
  const names = fs.readdirSync(cache).filter((n) => n.endsWith(".json"));
  assert.equal(names.length, 1, `one cache file per project root: ${names}`);
  const file = path.join(cache, names[0]);
  const data = JSON.parse(fs.readFileSync(file, "utf8"));
  return { data, write: () => fs.writeFileSync(file, JSON.stringify(data)) };
}

/** Rewrites every kept finding message of `file`: a run that shows it took the result from the cache. */
function tamper(cache: string, file: string): void {
  const { data, write } = cacheFile(cache);
  const entry = data.files[file];
  assert.ok(entry, `${file} is cached`);
  for (const result of Object.values(entry.results)) for (const finding of result.findings) finding.message = TAMPERED;
  write();
}

test("a second run takes unchanged files' results from the cache, and gives the same report", async () => {
  const dir = project();
  const cache = cacheDir();
  const first = await check(dir, cache);
  assert.equal(first.status, 1);
  const second = await check(dir, cache);
  assert.deepEqual(second.report, first.report);
  assert.equal(second.status, 1);
  tamper(cache, path.join(dir, "main.py"));
  const third = await check(dir, cache);
  assert.deepEqual(messages(third.report)["main.py"], [`SPS101 ${TAMPERED}`], "the kept result was used");
  assert.deepEqual(messages(third.report)["pkg/jobs.py"], messages(first.report)["pkg/jobs.py"]);
});

test("a file written again is processed again, even with its size and modification time kept", async () => {
  const dir = project();
  const cache = cacheDir();
  await check(dir, cache);
  tamper(cache, path.join(dir, "main.py"));
  const main = path.join(dir, "main.py");
  const { mtime, size } = fs.statSync(main);
  // The same length, another call: only the change time and the inode tell.
  fs.writeFileSync(main, MAIN.replace("run_all(3)", "run_all(4)"));
  fs.utimesSync(main, mtime, mtime);
  assert.equal(fs.statSync(main).size, size);
  const after = await check(dir, cache);
  assert.match(messages(after.report)["main.py"][0], /^SPS101 Processes are started at module top level \(main\.py:3/);
});

test("a change to the module a file calls into reaches that file, though it did not change", async () => {
  const dir = project();
  const cache = cacheDir();
  assert.equal(messages((await check(dir, cache)).report)["main.py"].length, 1);
  const jobs = path.join(dir, "pkg", "jobs.py");
  fs.writeFileSync(jobs, "def run_all(n):\n    return [x * x for x in range(n)]\n");
  backdate(jobs);
  const after = await check(dir, cache);
  assert.deepEqual(messages(after.report), { "main.py": [], "pkg/__init__.py": [], "pkg/jobs.py": [] });
  assert.equal(after.status, 0);
});

test("files written in the last two seconds are not cached (a write in the same clock tick would go unseen)", async () => {
  const dir = project();
  const fresh = path.join(dir, "fresh.py");
  fs.writeFileSync(fresh, "import os\nos.fork()\n");
  const cache = cacheDir();
  await check(dir, cache);
  const { data } = cacheFile(cache);
  assert.ok(data.files[path.join(dir, "main.py")], "an old file is cached");
  assert.equal(data.files[fresh], undefined);
});

test("--no-cache neither reads nor writes the cache", async () => {
  const dir = project();
  const unused = cacheDir();
  await check(dir, unused, ["--no-cache"]);
  assert.deepEqual(fs.readdirSync(unused), []);
  const cache = cacheDir();
  const real = await check(dir, cache);
  tamper(cache, path.join(dir, "main.py"));
  assert.deepEqual((await check(dir, cache, ["--no-cache"])).report, real.report);
});

test("a cache written by another build of spawnsafe is not read", async () => {
  const dir = project();
  const cache = cacheDir();
  const real = await check(dir, cache);
  tamper(cache, path.join(dir, "main.py"));
  const { data, write } = cacheFile(cache);
  data.tool = "another build";
  write();
  assert.deepEqual((await check(dir, cache)).report, real.report);
});

test("a cache folder that cannot be written: the run goes on without a cache, saying nothing of it", async () => {
  const dir = project();
  const blocked = path.join(cacheDir(), "a-file");
  fs.writeFileSync(blocked, "");
  const cache = path.join(blocked, "spawnsafe");
  const first = await check(dir, cache);
  const second = await check(dir, cache);
  assert.equal(first.status, 1);
  assert.deepEqual(second.report, first.report);
  // The footer and the summary line, and nothing about the cache.
  assert.match(second.stderr, /^2 findings, [^\n]+\n3 files scanned, 2 findings, no errors in \d+\.\d\d s\n$/);
});

test("after fix writes a file, check sees the fixed file, not the result kept of the old one", async () => {
  const dir = project();
  const cache = cacheDir();
  assert.equal(messages((await check(dir, cache)).report)["main.py"].length, 1);
  const fixed = await cli(["fix", "."], dir, undefined, { SPAWNSAFE_CACHE_DIR: cache });
  assert.equal(fixed.status, 0, fixed.stderr);
  assert.match(fs.readFileSync(path.join(dir, "main.py"), "utf8"), /if __name__ == "__main__":/);
  const after = await check(dir, cache);
  assert.deepEqual(messages(after.report)["main.py"], []);
  assert.equal(after.status, 0);
});

test("a deleted file's kept result is dropped when the cache is next written", async () => {
  const dir = project();
  const cache = cacheDir();
  await check(dir, cache);
  const main = path.join(dir, "main.py");
  assert.ok(cacheFile(cache).data.files[main]);
  fs.rmSync(main);
  assert.deepEqual(messages((await check(dir, cache)).report), { "pkg/__init__.py": [], "pkg/jobs.py": messages((await check(dir, cache, ["--no-cache"])).report)["pkg/jobs.py"] });
  assert.equal(cacheFile(cache).data.files[main], undefined);
});

test("--cache-dir puts the cache in the folder given (relative to the working directory), over $SPAWNSAFE_CACHE_DIR", async () => {
  const dir = project();
  const fromEnv = cacheDir();
  const first = await check(dir, fromEnv, ["--cache-dir", "kept"]);
  assert.deepEqual(fs.readdirSync(fromEnv), []);
  const kept = path.join(dir, "kept");
  tamper(kept, path.join(dir, "main.py"));
  const second = await check(dir, fromEnv, ["--cache-dir", "kept"]);
  assert.deepEqual(messages(second.report)["main.py"], [`SPS101 ${TAMPERED}`]);
  assert.deepEqual(second.report.files.length, first.report.files.length);
});
