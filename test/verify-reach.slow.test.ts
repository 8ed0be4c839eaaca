// verify's reach (issue 20): os.fork() in code that has no file (`python3 -c`, a program on
// stdin), in the command and in a process it starts; and nothing left running afterwards,
// not even a non-Python process that left the command's session with `setsid`.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI } from "./helpers/cli";
import { pythonExecutable } from "./helpers/python";

interface Report {
  files: Array<{ path: string; findings: Array<{ code: string; line: number; message: string }> }>;
}

function verify(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; report: Report | null } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-verify-reach-"));
  const out = path.join(dir, "report.json");
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const key of Object.keys(env)) if (key.startsWith("SPAWNSAFE_") && key !== "SPAWNSAFE_PYTHON") delete env[key];
  delete env.PYTHONPATH;
  const r = spawnSync(process.execPath, [CLI, "verify", "--format", "json", "--output", out, "--", ...args], { cwd: dir, env, input: input ?? "", encoding: "utf8", timeout: 60_000 });
  const report = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as Report) : null;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report };
}

const FORKS = "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nprint('done')\n";

function forkFindings(report: Report | null): Array<{ path: string; line: number }> {
  return (report?.files ?? []).flatMap((f) => f.findings.filter((x) => x.code === "SPS201").map((x) => ({ path: f.path, line: x.line })));
}

test("verify reports os.fork() in `python3 -c` code, in a program read from stdin, and in a -c process the command starts", () => {
  const python = pythonExecutable();
  const inline = verify([python, "-c", FORKS]);
  assert.equal(inline.stdout, "done\n", inline.stderr);
  assert.deepEqual(forkFindings(inline.report), [{ path: "<string>", line: 2 }], inline.stderr);
  assert.equal(inline.status, 1);

  const stdin = verify([python, "-"], FORKS);
  assert.equal(stdin.stdout, "done\n", stdin.stderr);
  assert.deepEqual(forkFindings(stdin.report), [{ path: "<stdin>", line: 2 }], stdin.stderr);
  assert.equal(stdin.status, 1);

  const child = verify([python, "-c", `import subprocess, sys\nsubprocess.run([sys.executable, "-c", ${JSON.stringify(FORKS)}], check=True)`]);
  assert.equal(child.stdout, "done\n", child.stderr);
  assert.deepEqual(forkFindings(child.report), [{ path: "<string>", line: 2 }], child.stderr);
  assert.equal(child.status, 1);
});

/** The process is gone (or a zombie nobody has reaped yet: it runs nothing). */
function ended(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] === "Z";
  } catch {
    return true;
  }
}

test("verify leaves nothing running: a non-Python process started with setsid, with or without the command's environment, is terminated", () => {
  const python = pythonExecutable();
  for (const env of [[], ["env", "-i"]]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-verify-setsid-"));
    const pidFile = path.join(dir, "pid");
    // The sleeper leaves the command's process group and session; the command waits a moment
    // (as a real program would go on working) and ends. (Its stdio is not verify's pipes: a
    // failing run would otherwise hold the test until the pipes close.)
    const program = `import subprocess, time\np = subprocess.Popen(${JSON.stringify([...env, "setsid", "sleep", "300"])}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nopen(${JSON.stringify(pidFile)}, "w").write(str(p.pid))\ntime.sleep(1)\n`;
    const r = verify([python, "-c", program]);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    try {
      assert.ok(pid > 0);
      assert.ok(ended(pid), `${env.join(" ")} setsid sleep 300 (pid ${pid}) is still running after verify: ${r.stderr}`);
      assert.match(r.stderr, /1 process was still running after [^]*ended: terminated/);
    } finally {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* ended */
      }
    }
  }
});
