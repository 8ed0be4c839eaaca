// The package as users get it: `npm pack`, the tarball installed into an empty folder, and
// the installed `spawnsafe` run from there (--version, rules, explain, check, fix), far from
// this repository. Only what the tarball holds and its dependencies are used.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { REPO_ROOT } from "./fixture-cases";
import { APP, FIXED_APP } from "./helpers/race";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("npm pack, installed into an empty folder: --version, rules, explain, check and fix work from there", { timeout: 10 * 60 * 1000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-pack-"));
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  // dist/ is built by the test command already; --ignore-scripts keeps pack from rebuilding it
  // under the feet of the tests running beside this one.
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: REPO_ROOT, encoding: "utf8" }))[0];
  const files: string[] = packed.files.map((f: { path: string }) => f.path);
  for (const needed of ["package.json", "README.md", "bin/spawnsafe.js", "dist/src/cli.js", "dist/src/project/thread-pool.js", "dist/transforms/registry.js", "schema/report.schema.json", "transforms/missing-main-guard.md"]) {
    assert.ok(files.includes(needed), `${needed} is not in the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith("dist/test/") || f.startsWith("test/") || f.startsWith("fixtures/") || f.endsWith(".ts")), `tests or sources in the tarball: ${files.filter((f) => /^(dist\/)?test\/|\.ts$/.test(f)).slice(0, 5)}`);

  // An empty folder far from the repository: nothing can be found by walking up to it.
  const user = path.join(work, "user");
  fs.mkdirSync(user);
  fs.writeFileSync(path.join(user, "package.json"), JSON.stringify({ name: "user", private: true }));
  // spawnsafe itself has no install script. tree-sitter's compiles its addon from source when
  // its prebuilt one cannot load (an older libstdc++ than it was built with): 45 s of C++ that
  // `npm ci` has already spent on this machine. So scripts are skipped and a native addon whose
  // prebuilt binary does not load here takes the repository's build of the same version.
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", "--loglevel=error", path.join(work, packed.filename)], { cwd: user, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  for (const addon of ["tree-sitter", "tree-sitter-python"]) useLocalBuildIfNeeded(user, addon);
  const bin = path.join(user, "node_modules", ".bin", "spawnsafe");
  const installed = path.join(user, "node_modules", "spawnsafe");
  assert.ok(fs.existsSync(bin), "no spawnsafe executable installed");
  assert.ok(fs.realpathSync(installed).startsWith(fs.realpathSync(user)), "the package is a copy, not a link to the repository");
  const run = (args: string[], cwd: string) => spawnSync(bin, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", SPAWNSAFE_CACHE_DIR: path.join(work, "cache") } });

  const version = run(["--version"], user);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `${manifest.version}\n`);
  const rules = run(["rules"], user);
  assert.equal(rules.status, 0, rules.stderr);
  assert.match(rules.stdout, /^SPS101 +missing-main-guard/m);
  const explain = run(["explain", "SPS202"], user);
  assert.equal(explain.status, 0, explain.stderr);
  assert.match(explain.stdout, /^# unpicklable-target \(SPS202\)/);

  const project = path.join(work, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "app.py"), APP);
  const check = run(["check", "."], project);
  assert.equal(check.status, 1, check.stderr);
  assert.match(check.stdout, /^app\.py:7:10: SPS102 \[\*\] /);
  const sarif = run(["check", "--output-format", "sarif", "."], project);
  assert.match(JSON.parse(sarif.stdout).runs[0].tool.driver.rules[0].help.text, /## Why is this bad\?/, "the docs ship with the package");
  const fix = run(["fix", "."], project);
  assert.equal(fix.status, 0, fix.stderr);
  assert.equal(fs.readFileSync(path.join(project, "app.py"), "utf8"), FIXED_APP);
  // Enough files for worker threads: the worker script is in the tarball too.
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(project, `m${i}.py`), APP);
  const threads = run(["fix", "--jobs", "2", "--no-cache", "."], project);
  assert.equal(threads.status, 0, threads.stderr);
  assert.equal(fs.readFileSync(path.join(project, "m9.py"), "utf8"), FIXED_APP);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Gives an installed native addon the repository's build when its own prebuilt binary cannot be loaded here. */
function useLocalBuildIfNeeded(user: string, addon: string): void {
  const loads = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addon)})`], { cwd: user, encoding: "utf8" });
  if (loads.status === 0) return;
  const installed = JSON.parse(fs.readFileSync(path.join(user, "node_modules", addon, "package.json"), "utf8")).version;
  const local = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", addon, "package.json"), "utf8")).version;
  const localBuild = path.join(REPO_ROOT, "node_modules", addon, "build");
  if (installed === local && fs.existsSync(localBuild)) fs.cpSync(localBuild, path.join(user, "node_modules", addon, "build"), { recursive: true });
  // Another version than the repository's (the registry has a newer one): its own install script, as npm would run it.
  else execFileSync(npm, ["rebuild", addon, "--loglevel=error"], { cwd: user, stdio: ["ignore", "pipe", "pipe"] });
  const again = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(addon)})`], { cwd: user, encoding: "utf8" });
  assert.equal(again.status, 0, again.stderr);
}

test("package.json: engines says the Node.js the code needs (crypto.hash: 20.12), and the bin is the shim", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  assert.equal(manifest.engines.node, ">=20.12");
  assert.deepEqual(manifest.bin, { spawnsafe: "bin/spawnsafe.js" });
  assert.equal(manifest.devDependencies["@microsoft/jest-sarif"], undefined);
});
