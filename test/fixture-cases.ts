// Discovering fixture cases and reading their options (fixtures/README.md describes the layout).
import * as fs from "node:fs";
import * as path from "node:path";
import type { FileInfo } from "../src/file-info";
import type { Options } from "../src/options";

export const REPO_ROOT = findRepoRoot(__dirname);
export const FIXTURES = path.join(REPO_ROOT, "fixtures");

export interface CaseOptions {
  path: string;
  mode: Options["mode"];
  method: Options["method"];
  run: string | false;
  args: string[];
  timeout: number;
  forksBefore: boolean;
  hangsBefore: boolean;
  /** Explicit fork is the user's decision: kept, so the program still forks after the fix. */
  forksAfter: boolean;
  failsBefore: string | null;
  /** The default start method of the failsBefore run: "spawn", or "fork" for a hazard of fork objects. */
  failsBeforeUnder: "spawn" | "fork";
  /** A fixture file holding the stdout the fixed program must print, when the fix is meant to change it. */
  expectedAfter: string | null;
  /** Project cases: a console script (from the project's packaging metadata) to run instead of `run`. */
  script: string | null;
  /** Project cases: directories of the project (relative) put on PYTHONPATH for the runs, e.g. "src". */
  pythonPath: string[];
  /** Project cases: the exit status of `check` (and of `fix` when it is 2: a configuration error). */
  exit: number | null;
  /** Project cases: command-line flags for `check` and `fix` (mode and method otherwise come from its configuration). */
  flags: string[];
  /** Apply unsafe fixes too (--unsafe-fixes): for cases about a fix spawnsafe cannot prove safe. */
  unsafeFixes: boolean;
}

export interface FixtureCase {
  group: string;
  name: string;
  dir: string;
  /**
   * The file under test: `input.py`, or `input.ipynb` for a notebook (checked only, never run);
   * `project` for a whole project tree in the folder `project/`, fixed with the real CLI.
   */
  input: string;
  options: CaseOptions;
}

export function isProjectCase(c: FixtureCase): boolean {
  return c.input === "project";
}

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error("no package.json above " + from);
  }
}

export function fixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const group of fs.readdirSync(FIXTURES).sort()) {
    const groupDir = path.join(FIXTURES, group);
    if (!fs.statSync(groupDir).isDirectory()) continue;
    for (const name of fs.readdirSync(groupDir).sort()) {
      const dir = path.join(groupDir, name);
      const input = ["input.py", "input.ipynb", "project"].find((f) => fs.existsSync(path.join(dir, f)));
      if (!input) continue;
      cases.push({ group, name, dir, input, options: readOptions(dir, input) });
    }
  }
  return cases;
}

function readOptions(dir: string, input: string): CaseOptions {
  const file = path.join(dir, "case.json");
  const raw = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  const notebook = input === "input.ipynb";
  const project = input === "project";
  const at = raw.path ?? (notebook ? "notebook.ipynb" : project ? "." : "script.py");
  // A project runs what case.json names (a script, `-m pkg`, or a console script), nothing by default.
  const runnable = project ? raw.run ?? (raw.script ? "" : false) : raw.run === false || notebook ? false : raw.run ?? at;
  return {
    path: at,
    mode: raw.mode ?? "auto",
    method: raw.method ?? "spawn",
    run: runnable === false ? false : runnable,
    args: raw.args ?? [],
    timeout: raw.timeout ?? 30,
    forksBefore: raw.forksBefore ?? true,
    hangsBefore: raw.hangsBefore ?? false,
    forksAfter: raw.forksAfter ?? false,
    failsBefore: raw.failsBefore ?? null,
    failsBeforeUnder: raw.failsBeforeUnder ?? "spawn",
    expectedAfter: raw.expectedAfter ?? null,
    script: raw.script ?? null,
    pythonPath: raw.pythonPath ?? [],
    exit: raw.exit ?? null,
    flags: raw.flags ?? [],
    unsafeFixes: raw.unsafeFixes ?? false,
  };
}

/** How the engine sees the case's input: where it sits and whether that is a package. */
export function caseFileInfo(c: FixtureCase): FileInfo {
  const dir = path.posix.dirname(c.options.path);
  const isPackage = dir !== "." && fs.existsSync(path.join(c.dir, dir, "__init__.py"));
  return { path: c.options.path, packageDir: isPackage ? dir : null, isMainModule: path.posix.basename(c.options.path) === "__main__.py" };
}
