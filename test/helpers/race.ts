// Racing a real `spawnsafe fix` run from outside, as another program would: a tree large
// enough that the writes take a while, and a watcher that acts the moment the first write
// (the first temporary file) appears. No hook inside spawnsafe is involved.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
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

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The watcher saw a write begin and `onFirstWrite` ran. */
  acted: boolean;
}

/** Runs the CLI in `cwd`; calls `onFirstWrite(child)` as soon as a file appears in `watched`. */
export function raceFirstWrite(args: string[], cwd: string, watched: string, onFirstWrite: (child: { kill(signal: NodeJS.Signals): boolean }) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    let acted = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const watcher = fs.watch(watched, (_event, name) => {
      if (acted || !name || !String(name).endsWith(".tmp")) return;
      acted = true;
      onFirstWrite(child);
    });
    child.on("error", reject);
    child.on("close", (status, signal) => {
      watcher.close();
      resolve({ status, signal, stdout, stderr, acted });
    });
  });
}

/** Every entry of a folder that is not one of the tree's .py files (temporary files, say). */
export function strayFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => !/^m\d{4}\.py$/.test(name) && !name.startsWith("zz"));
}
