// Running the CLI as users and scripts do. `cli()` calls the same main() the executable
// calls, in this process (its working directory, environment and streams switched for the
// run), which spares each run node's start-up: the fast tier makes hundreds of runs.
// `spawnsafe()` starts the real executable, for what only a process shows: signals, exit on
// a closed pipe, memory limits, bytes that are not UTF-8, the shim itself.
import * as path from "node:path";
import { Readable } from "node:stream";
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "../fixture-cases";
import { resolvedPython } from "./python";

export const CLI = path.join(REPO_ROOT, "bin", "spawnsafe.js");

// `fix` has CPython judge its rewrites (src/judge.ts): the runs get the interpreter itself, not a shim.
export { resolvedPython };

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function spawnsafe(args: string[], cwd: string, input?: string, env: NodeJS.ProcessEnv = {}): CliResult {
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

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `spawnsafe ARGS` in `cwd` with NO_COLOR set, `input` on stdin (empty when not given)
 * and `env` over the environment (a key set to undefined is removed), one run at a time.
 */
export function cli(args: string[], cwd: string, input?: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const run = queue.then(() => inProcess(args, cwd, input ?? "", env));
  queue = run.catch(() => undefined);
  return run;
}

async function inProcess(args: string[], cwd: string, input: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  // Loaded on first use: a test file that only spawns never loads the engine.
  const { main } = require("../../src/cli") as typeof import("../../src/cli");
  const saved = { cwd: process.cwd(), env: { ...process.env } };
  let stdout = "";
  let stderr = "";
  const text = (chunk: string | Uint8Array) => (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
  // Not terminals: as under a pipe, no colour and no progress bar.
  const streams = {
    stdin: Readable.from([Buffer.from(input, "utf8")]),
    stdout: { isTTY: false, write: (chunk: string | Uint8Array) => ((stdout += text(chunk)), true) },
    stderr: { isTTY: false, columns: 80, write: (chunk: string | Uint8Array) => ((stderr += text(chunk)), true) },
  };
  process.chdir(cwd);
  const python = resolvedPython();
  for (const [key, value] of Object.entries({ ...(python ? { SPAWNSAFE_PYTHON: python } : {}), NO_COLOR: "1", ...env })) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    const status = await main(args, streams as unknown as import("../../src/cli").Io);
    return { status, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
  }
}
