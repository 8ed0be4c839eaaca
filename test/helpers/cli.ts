// Running the real executable, as users and scripts do.
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "../fixture-cases";

export const CLI = path.join(REPO_ROOT, "bin", "spawnsafe.js");

export function spawnsafe(args: string[], cwd: string, input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
