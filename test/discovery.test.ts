// Which files a run covers, through the real CLI: --exclude and --extend-exclude, nested
// .gitignore files, .git/info/exclude, symbolic links, explicit files and --force-exclude.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli } from "./helpers/cli";
import { APP, FIXED_APP } from "./helpers/race";
import { writeTree } from "./helpers/tree";

function project(files: Record<string, string | Buffer>): string {
  return writeTree(files, "spawnsafe-discovery-");
}

/** The files `check` reports on (every file here has a finding), in output order. */
async function checked(dir: string, args: string[]): Promise<string[]> {
  const r = await cli(["check", ...args], dir);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return r.stdout.split("\n").filter(Boolean).map((l) => l.split(":")[0]);
}

const TREE = {
  "app.py": APP,
  "src/core.py": APP,
  "src/tools/gen.py": APP,
  "other/tools/script.py": APP,
  "other/old_a.py": APP,
};

test("--exclude globs match paths from the working directory, absolute paths, or any one name", async () => {
  const dir = project(TREE);
  assert.deepEqual(await checked(dir, ["--exclude", "src/tools", "."]), ["app.py", "other/old_a.py", "other/tools/script.py", "src/core.py"]);
  assert.deepEqual(await checked(dir, ["--exclude", "tools", "."]), ["app.py", "other/old_a.py", "src/core.py"]);
  assert.deepEqual(await checked(dir, ["--exclude", "old_*.py", "--exclude", path.join(dir, "src"), "."]), ["app.py", "other/tools/script.py"]);
  // Anchored at the working directory, not at the directory given.
  assert.deepEqual(await checked(dir, ["--exclude", "src/tools", "src"]), ["src/core.py"]);
  assert.deepEqual(await checked(path.join(dir, "src"), ["--exclude", "tools/gen.py", "."]), ["core.py"]);
});

test("each --exclude takes one value, so the paths after it stay paths", async () => {
  const dir = project(TREE);
  assert.deepEqual(await checked(dir, ["--exclude", "tools", "src"]), ["src/core.py"]);
  assert.deepEqual(await checked(dir, ["--extend-exclude", "tools", "src", "app.py"]), ["app.py", "src/core.py"]);
});

test("--extend-exclude adds to --exclude (both apply; the built-in skips stay)", async () => {
  const dir = project({ ...TREE, "venv/lib/x.py": APP, "build/y.py": APP });
  assert.deepEqual(await checked(dir, ["--exclude", "tools", "--extend-exclude", "old_*.py", "."]), ["app.py", "src/core.py"]);
  assert.deepEqual(await checked(dir, ["--extend-exclude", "src", "."]), ["app.py", "other/old_a.py", "other/tools/script.py"]);
});

test("nested .gitignore files and .git/info/exclude: the deepest rule wins, as in git", async () => {
  const dir = project({
    "app.py": APP,
    ".gitignore": "gen_*.py\n/local.py\n",
    "local.py": APP,
    "pkg/local.py": APP,
    "pkg/gen_a.py": APP,
    "pkg/gen/.gitignore": "!gen_keep.py\nscratch/\n",
    "pkg/gen/gen_keep.py": APP,
    "pkg/gen/gen_drop.py": APP,
    "pkg/gen/scratch/s.py": APP,
    "secret.py": APP,
  });
  fs.mkdirSync(path.join(dir, ".git", "info"), { recursive: true });
  fs.writeFileSync(path.join(dir, ".git", "info", "exclude"), "secret.py\n");
  const all = ["app.py", "pkg/gen/gen_keep.py", "pkg/local.py"];
  assert.deepEqual(await checked(dir, ["."]), all);
  // Walking a subfolder still applies the .gitignore files above it.
  assert.deepEqual(await checked(path.join(dir, "pkg"), ["."]), ["gen/gen_keep.py", "local.py"]);
});

test("explicit files are processed even when excluded or ignored; --force-exclude applies every exclusion to them", async () => {
  const dir = project({
    ".gitignore": "ignored.py\n",
    "ignored.py": APP,
    "tools/t.py": APP,
    "build/b.py": APP,
    "env/pyvenv.cfg": "home = /usr\n",
    "env/v.py": APP,
    "kept.py": APP,
  });
  fs.mkdirSync(path.join(dir, ".git"));
  const named = ["--exclude", "tools", "ignored.py", "tools/t.py", "build/b.py", "env/v.py", "kept.py"];
  assert.deepEqual(await checked(dir, named), ["build/b.py", "env/v.py", "ignored.py", "kept.py", "tools/t.py"]);
  assert.deepEqual(await checked(dir, ["--force-exclude", ...named]), ["kept.py"]);
  // A folder given by name is walked even if excluded, unless --force-exclude.
  assert.deepEqual(await checked(dir, ["--exclude", "tools", "tools"]), ["tools/t.py"]);
  assert.deepEqual(await checked(dir, ["--force-exclude", "--exclude", "tools", "tools"]), []);
});

test("symbolic links in a walk are never followed, in or out of the tree; a link given by name is fixed through", async () => {
  const outside = project({ "elsewhere.py": APP });
  const dir = project({ "real/app.py": APP });
  fs.symlinkSync(path.join(outside, "elsewhere.py"), path.join(dir, "out.py"));
  fs.symlinkSync(outside, path.join(dir, "outdir"));
  fs.symlinkSync("real", path.join(dir, "alias"));
  fs.symlinkSync("real/app.py", path.join(dir, "link.py"));
  assert.deepEqual(await checked(dir, ["."]), ["real/app.py"]);
  // Named: the link is read, the file it points to is written, the link stays a link; the
  // same file reached twice is processed once.
  const r = await cli(["fix", "link.py", "real/app.py", "alias"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^1 file scanned, 1 changed/m);
  assert.ok(fs.lstatSync(path.join(dir, "link.py")).isSymbolicLink());
  assert.equal(fs.readFileSync(path.join(dir, "real", "app.py"), "utf8"), FIXED_APP);
  assert.equal(fs.readFileSync(path.join(outside, "elsewhere.py"), "utf8"), APP);
});
