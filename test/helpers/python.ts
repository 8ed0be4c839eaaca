// Runtime harness for the fixtures: run a Python program under the real python3 with
// test/runtime/sitecustomize.py on PYTHONPATH, which logs one line per os.fork() /
// os.forkpty() of the program and of all its children and grandchildren.
//
// Node built-ins only. Compiled to dist/test/helpers/python.js.

import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface PythonRun {
  stdout: string;
  stderr: string;
  /** exit status, or null when the process was killed by a signal (e.g. on timeout) */
  status: number | null;
  /** calls to os.fork()/os.forkpty() made by the program and all its descendants */
  forks: number;
  /** timed out: the whole process group was killed */
  timedOut: boolean;
  /**
   * Of `forks`, those made by a multiprocessing forkserver process on behalf of the
   * forkserver start method (a fork of the single-threaded server, not of the program).
   */
  forkserverForks: number;
  /** the raw fork log, one entry per fork: "pid\tppid\trole\tkind\tfile:line:function" */
  forkLog: string[];
}

export interface RunPythonOptions {
  args?: string[];
  /** seconds before the run counts as a hang; default 30 */
  timeoutSec?: number;
  /**
   * Override multiprocessing's *default* start method for this run (what Pool(),
   * Process(), ProcessPoolExecutor() use without an explicit context), without
   * fixing it: the program's own set_start_method() still works. null/undefined:
   * leave Python's default (fork on Linux before 3.14).
   */
  method?: "fork" | "spawn" | null;
  /** More directories for PYTHONPATH (after the fork counter's). */
  pythonPath?: string[];
}

let interpreter: string | null | undefined;

/**
 * The interpreter behind python3, asked once per test process: a pyenv shim takes a third of
 * a second to start where the interpreter takes 30 ms, and the runtime tests start python3
 * hundreds of times. $SPAWNSAFE_PYTHON, when set, wins; without python3, null.
 */
export function resolvedPython(): string | null {
  if (interpreter !== undefined) return interpreter;
  if (process.env.SPAWNSAFE_PYTHON) return (interpreter = process.env.SPAWNSAFE_PYTHON);
  const r = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  return (interpreter = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null);
}

/** The python interpreter to run: $SPAWNSAFE_PYTHON, else the one behind python3 on PATH. */
export function pythonExecutable(): string {
  return resolvedPython() ?? "python3";
}

let cachedRoot: string | undefined;

/** The repository root: the nearest directory above this file holding package.json. */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
}

/** The directory holding the fork-counting sitecustomize.py. */
export function sitecustomizeDir(): string {
  const dir = path.join(repoRoot(), "test", "runtime");
  if (!fs.existsSync(path.join(dir, "sitecustomize.py"))) {
    throw new Error(`missing ${path.join(dir, "sitecustomize.py")}`);
  }
  return dir;
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already empty
  }
}

/** The environment of a run, and the fork log it writes to. */
function pythonEnvironment(opts: RunPythonOptions): { env: NodeJS.ProcessEnv; logDir: string; logFile: string } {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-forks-"));
  const logFile = path.join(logDir, "forks.log");
  fs.writeFileSync(logFile, "");

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("SPAWNSAFE_") && key !== "SPAWNSAFE_PYTHON") delete env[key];
  }
  // Variables that would change how the program under test starts or imports.
  delete env.PYTHONSAFEPATH;
  delete env.PYTHONINSPECT;
  delete env.PYTHONSTARTUP;
  env.PYTHONPATH = [sitecustomizeDir(), ...(opts.pythonPath ?? []), process.env.PYTHONPATH]
    .filter((p): p is string => !!p)
    .join(path.delimiter);
  env.PYTHONDONTWRITEBYTECODE = "1";
  env.PYTHONIOENCODING = "utf-8";
  env.PYTHONHASHSEED = "0";
  env.SPAWNSAFE_FORK_LOG = logFile;
  if (opts.method) env.SPAWNSAFE_START_METHOD = opts.method;
  return { env, logDir, logFile };
}

export function runPython(cwd: string, entry: string, opts: RunPythonOptions = {}): PythonRun {
  const timeoutSec = opts.timeoutSec ?? 30;
  const { env, logDir, logFile } = pythonEnvironment(opts);

  // detached: the child leads a new process group (setsid), so every descendant
  // (pool workers, manager servers, resource trackers, forkservers) can be killed
  // together. spawnSync's own timeout only kills the direct child and closes the
  // pipes; the group kill below takes care of the grandchildren, on timeout and
  // also after a normal exit (left-over daemons).
  const spawnOptions = {
    cwd,
    env,
    encoding: "utf8" as const,
    stdio: ["ignore", "pipe", "pipe"] as ("ignore" | "pipe")[],
    timeout: Math.max(1, Math.round(timeoutSec * 1000)),
    killSignal: "SIGKILL" as const,
    maxBuffer: 64 * 1024 * 1024,
    detached: true,
  };
  const result = spawnSync(pythonExecutable(), [entry, ...(opts.args ?? [])], spawnOptions);
  killGroup(result.pid);

  const errCode = (result.error as NodeJS.ErrnoException | undefined)?.code;
  const timedOut = errCode === "ETIMEDOUT";
  if (result.error && !timedOut) {
    fs.rmSync(logDir, { recursive: true, force: true });
    throw result.error;
  }

  return finished(result.stdout ?? "", result.stderr ?? "", result.status, timedOut, logDir, logFile);
}

function finished(stdout: string, stderr: string, status: number | null, timedOut: boolean, logDir: string, logFile: string): PythonRun {
  let forkLog: string[] = [];
  try {
    forkLog = fs
      .readFileSync(logFile, "utf8")
      .split("\n")
      .filter((line) => line.length > 0);
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
  const forkserverForks = forkLog.filter((line) => line.split("\t")[2] === "forkserver").length;
  return { stdout, stderr, status, forks: forkLog.length, timedOut, forkserverForks, forkLog };
}

/**
 * Runs a program that is expected to fail, and stops it (its whole process group) as soon
 * as its stderr shows `failure`, instead of waiting out a hang: a program broken under spawn
 * often prints the error in a child and then waits forever for it. The timeout still
 * applies when the text never comes. `timedOut` is false when the text came.
 */
export function runPythonUntil(cwd: string, entry: string, failure: string | null, opts: RunPythonOptions = {}): Promise<PythonRun> {
  const timeoutSec = opts.timeoutSec ?? 30;
  const { env, logDir, logFile } = pythonEnvironment(opts);
  return new Promise((resolve, reject) => {
    const child = spawn(pythonExecutable(), [entry, ...(opts.args ?? [])], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const stop = () => killGroup(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, Math.max(1, Math.round(timeoutSec * 1000)));
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (failure !== null && stderr.includes(failure)) stop();
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      fs.rmSync(logDir, { recursive: true, force: true });
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      // Left-over daemons (pool workers, resource trackers) go with the group.
      killGroup(child.pid);
      resolve(finished(stdout, stderr, status, timedOut && !(failure !== null && stderr.includes(failure)), logDir, logFile));
    });
  });
}

/** runPython without blocking: several programs can run at once. */
export function runPythonAsync(cwd: string, entry: string, opts: RunPythonOptions = {}): Promise<PythonRun> {
  return runPythonUntil(cwd, entry, null, opts);
}

// Files of a fixture folder that describe the case rather than belong to the project.
const FIXTURE_META = new Set(["output.py", "findings.snap", "case.json", "expected-stdout.txt"]);

function isMetaFile(name: string): boolean {
  return FIXTURE_META.has(name) || name.endsWith(".actual.py") || name.endsWith(".actual.snap");
}

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "__pycache__") continue;
      copyTree(src, dst);
    } else if (entry.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src), dst);
    } else if (entry.isFile()) {
      fs.copyFileSync(src, dst);
    }
  }
}

/**
 * Copy a fixture folder to a new temporary directory, put its input.py at `inputPath`
 * (relative, e.g. "script.py" or "pkg/work.py"; parent directories are created) and
 * drop the files that describe the case (output.py, findings.snap, case.json,
 * expected-stdout.txt, *.actual.*) from the top of the copy. Returns the directory.
 */
export function copyFixtureToScratch(fixtureDir: string, inputPath: string): string {
  const normal = path.normalize(inputPath);
  if (path.isAbsolute(normal) || normal === ".." || normal.startsWith(".." + path.sep)) {
    throw new Error(`fixture path must stay inside the project: ${inputPath}`);
  }
  const input = path.join(fixtureDir, "input.py");
  if (!fs.existsSync(input)) throw new Error(`no input.py in ${fixtureDir}`);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-fixture-"));
  copyTree(fixtureDir, scratch);
  for (const name of fs.readdirSync(scratch)) {
    if (isMetaFile(name)) fs.rmSync(path.join(scratch, name), { force: true });
  }
  const target = path.join(scratch, normal);
  if (target !== path.join(scratch, "input.py")) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(path.join(scratch, "input.py"), target);
  }
  return scratch;
}
