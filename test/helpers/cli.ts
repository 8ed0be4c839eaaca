// Running the real executable, as users and scripts do.
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "../fixture-cases";

export const CLI = path.join(REPO_ROOT, "bin", "spawnsafe.js");

let interpreter: string | null | undefined;

/**
 * The interpreter behind python3, asked once per test process: `fix` has CPython judge its
 * rewrites (src/judge.ts), and a pyenv shim takes half a second to start where the
 * interpreter takes 30 ms. $SPAWNSAFE_PYTHON, when set, wins; without python3, none.
 */
export function resolvedPython(): string | null {
  if (interpreter !== undefined) return interpreter;
  if (process.env.SPAWNSAFE_PYTHON) return (interpreter = process.env.SPAWNSAFE_PYTHON);
  const r = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  return (interpreter = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null);
}

export function spawnsafe(args: string[], cwd: string, input?: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const python = resolvedPython();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    input,
    encoding: "utf8",
    maxBuffer: 1 << 30,
    env: { ...process.env, ...(python ? { SPAWNSAFE_PYTHON: python } : {}), NO_COLOR: "1", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
