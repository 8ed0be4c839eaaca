// Racing a real `spawnsafe fix` run from outside, as another program would, at points
// chosen without depending on the machine's speed, and with no hook inside spawnsafe:
//
// - `fix` in a git work tree asks git about uncommitted changes after it has read and
//   processed every file and before it writes any. The run is given a `git` (first on its
//   PATH) that waits there until the test lets it go, then runs the real git: the test acts
//   while every file is read and none is written.
// - `fix` reads a file again just before writing it. A file named on the command line that
//   is a symbolic link, turned by the test into a link to a FIFO during that pause, holds the
//   run at that write until the test opens the FIFO: every file before it written, none after.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./cli";

export const APP = 'import multiprocessing as mp\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(f, [1]))\n';
/** What `fix` makes of APP. */
export const FIXED_APP = APP.replace('if __name__ == "__main__":\n', 'if __name__ == "__main__":\n    mp.set_start_method("spawn", force=True)\n');

/** `count` copies of APP named m0000.py, m0001.py, ... in a new temporary folder. */
export function appTree(count: number, prefix = "spawnsafe-race-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, `m${String(i).padStart(4, "0")}.py`), APP);
  return dir;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { encoding: "utf8" });
}

/** Makes `dir` a git repository with everything in it committed. */
export function commitAll(dir: string): void {
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "start");
}

export interface PausingGit {
  /** Put first on the run's PATH. */
  bin: string;
  /** Resolves once the run has asked git (every file read and processed, none written). */
  asked: Promise<void>;
  /** Lets git answer. */
  go(): void;
}

/** A `git` that waits for go() on its first call, then runs the real one. */
export function pausingGit(): PausingGit {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-git-bin-"));
  const realGit = execFileSync("bash", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const asked = path.join(bin, "asked");
  const go = path.join(bin, "go");
  fs.writeFileSync(
    path.join(bin, "git"),
    `#!/usr/bin/env bash\nif [ ! -e '${asked}' ]; then\n  : > '${asked}'\n  while [ ! -e '${go}' ]; do sleep 0.01; done\nfi\nexec '${realGit}' "$@"\n`,
    { mode: 0o755 },
  );
  return { bin, asked: until(() => fs.existsSync(asked)), go: () => fs.writeFileSync(go, "") };
}

/** Resolves when `condition()` holds, checking every 10 ms. */
export function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (condition() ? resolve() : setTimeout(poll, 10));
    poll();
  });
}

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  finished: Promise<Finished>;
}

/** Starts the CLI in `cwd`, with `pathFirst` (if any) first on its PATH. */
export function startCli(args: string[], cwd: string, pathFirst?: string, extraEnv: NodeJS.ProcessEnv = {}): Running {
  const env = { ...process.env, NO_COLOR: "1", ...(pathFirst ? { PATH: `${pathFirst}${path.delimiter}${process.env.PATH}` } : {}), ...extraEnv };
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const finished = new Promise<Finished>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, finished };
}

/**
 * A symbolic link at `link` to a file outside the tree; returns a function that turns it
 * into a link to a FIFO (a run that writes through the link then waits at that write) and
 * a function that releases such a waiting run.
 */
export function linkTurnedFifo(link: string, content: string): { turn(): void; release(exited: () => boolean): Promise<void>; target: string } {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-fifo-"));
  const target = path.join(outside, "target.py");
  fs.writeFileSync(target, content);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
  const fifo = path.join(outside, "fifo");
  return {
    target,
    turn() {
      execFileSync("mkfifo", [fifo]);
      const next = `${link}.next`;
      fs.symlinkSync(fifo, next);
      fs.renameSync(next, link);
    },
    /**
     * The run waits opening the FIFO to read it: an open for writing meets it, and the
     * close gives it an empty file. Tried until it meets the run, or the run has ended.
     */
    async release(exited) {
      for (;;) {
        try {
          fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
          return;
        } catch (err) {
          // ENXIO: nobody has it open for reading (yet, or any more).
          if ((err as NodeJS.ErrnoException).code !== "ENXIO") throw err;
        }
        if (exited()) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

/** Every entry of a folder that is not one of the tree's .py files (temporary files, say). */
export function strayFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => !/^m\d{4}\.py$/.test(name) && !name.startsWith("zz") && name !== ".git");
}
