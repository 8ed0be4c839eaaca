// The benchmark corpora. "stdlib": the CPython standard library of the machine's python3,
// as it is (and copied to a directory of its own, where it is one project: writeStdlibRoot). "relevant": real modules of that library, each with a snippet appended that
// creates processes (one of several shapes, chosen by position), half of them inside a
// package: every file is one spawnsafe must parse and analyse, and most of each file is
// ordinary code, as in real projects.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

export function python(): string {
  return process.env.SPAWNSAFE_PYTHON || "python3";
}

export function stdlibDir(): string {
  return execFileSync(python(), ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();
}

/** Every *.py under `dir`, sorted, skipping what spawnsafe's discovery skips for the stdlib. */
export function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!["site-packages", "__pycache__", "build", "dist"].includes(entry.name)) walk(full);
      } else if (entry.name.endsWith(".py")) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Snippets that create processes, in the shapes users write. `{i}` makes names unique. */
const SNIPPETS = [
  `
import multiprocessing as _ss_mp

def _ss_square(x):
    return x * x

if __name__ == "__main__":
    with _ss_mp.Pool(2) as _ss_pool:
        print(_ss_pool.map(_ss_square, range(4)))
`,
  `
from concurrent.futures import ProcessPoolExecutor as _SsExecutor

def _ss_double(x):
    return 2 * x

def _ss_run_all(items):
    with _SsExecutor(max_workers=2) as ex:
        return list(ex.map(_ss_double, items))
`,
  `
import multiprocessing

_SS_LOCK = multiprocessing.Lock()

def _ss_worker(q, n):
    with _SS_LOCK:
        q.put(n)

def _ss_main():
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_ss_worker, args=(q, n)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()

if __name__ == "__main__":
    _ss_main()
`,
  `
from multiprocessing import Process as _SsProcess, Event as _SsEvent

class _SsWorker(_SsProcess):
    def __init__(self, event):
        super().__init__()
        self.event = event

    def run(self):
        self.event.set()

def _ss_start():
    event = _SsEvent()
    worker = _SsWorker(event)
    worker.start()
    worker.join()
    return event.is_set()
`,
  `
import multiprocessing.pool

_SS_FACTOR = 3

def _ss_scale(x):
    return x * _SS_FACTOR

def _ss_scaled(xs):
    pool = multiprocessing.pool.Pool(2)
    try:
        return pool.map(_ss_scale, xs)
    finally:
        pool.close()
`,
  `
import multiprocessing as _ss_mp

_ss_ctx = _ss_mp.get_context("spawn")

def _ss_inc(x):
    return x + 1

def _ss_incremented(xs):
    with _ss_ctx.Pool(2) as pool:
        return pool.map(_ss_inc, xs)
`,
  `
import multiprocessing

def _ss_cube(x):
    return x ** 3

def _ss_cubes():
    with multiprocessing.Pool(2) as pool:
        return pool.map(_ss_cube, range(3))

_ss_result = _ss_cubes()
`,
  `
from concurrent import futures as _ss_futures
import os as _ss_os

def _ss_pid(_):
    return _ss_os.getpid()

def _ss_pids():
    with _ss_futures.ProcessPoolExecutor() as ex:
        return sorted(set(ex.map(_ss_pid, range(4))))

if __name__ == "__main__":
    print(len(_ss_pids()) > 0)
`,
];

/**
 * Writes the "relevant" corpus into `dest`: up to `count` stdlib modules between 1 KB and
 * 200 KB that python3 compiles, each with a snippet appended; odd-numbered ones go into a
 * package (`pkgN/` with an `__init__.py`). Deterministic: the same machine gives the same corpus.
 */
export function writeRelevantCorpus(dest: string, count: number): string[] {
  const candidates = pythonFiles(stdlibDir()).filter((f) => {
    const size = fs.statSync(f).size;
    return size >= 1024 && size <= 200 * 1024;
  });
  const compiles = compilable(candidates);
  const chosen = candidates.filter((f) => compiles.has(f));
  const step = Math.max(1, Math.floor(chosen.length / count));
  fs.rmSync(dest, { recursive: true, force: true });
  const written: string[] = [];
  for (let i = 0, k = 0; i < chosen.length && k < count; i += step, k++) {
    const source = fs.readFileSync(chosen[i], "utf8");
    const dir = k % 2 === 1 ? path.join(dest, `pkg${Math.floor(k / 200)}`) : path.join(dest, `app${Math.floor(k / 200)}`);
    fs.mkdirSync(dir, { recursive: true });
    if (k % 2 === 1 && !fs.existsSync(path.join(dir, "__init__.py"))) fs.writeFileSync(path.join(dir, "__init__.py"), "");
    const file = path.join(dir, `m${k}_${path.basename(chosen[i])}`);
    const body = source.endsWith("\n") ? source : source + "\n";
    fs.writeFileSync(file, body + SNIPPETS[k % SNIPPETS.length]);
    written.push(file);
  }
  return written;
}

/**
 * Writes one module of about `bytes` that names the API everywhere: the modules of the
 * "relevant" corpus (each a stdlib module with a snippet that creates processes appended)
 * one after another, their `from __future__` lines left out (they must open a module).
 */
export function writeBigModule(file: string, corpus: string[], bytes: number): number {
  let out = "";
  for (const f of corpus) {
    if (out.length >= bytes) break;
    out += fs.readFileSync(f, "utf8").replace(/^from __future__ import[^\n]*\n/gm, "") + "\n";
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, out);
  return Buffer.byteLength(out);
}

/** The files python3 compiles (its own verdict), in one python3 run. */
function compilable(files: string[]): Set<string> {
  const script = [
    "import sys, json",
    "ok = []",
    "for f in json.load(sys.stdin):",
    "    try:",
    "        src = open(f, encoding='utf-8').read()",
    "        compile(src, f, 'exec', dont_inherit=True)",
    "        ok.append(f)",
    "    except Exception:",
    "        pass",
    "print(json.dumps(ok))",
  ].join("\n");
  const out = execFileSync(python(), ["-W", "ignore", "-c", script], { input: JSON.stringify(files), encoding: "utf8", maxBuffer: 64 << 20 });
  return new Set(JSON.parse(out));
}

if (require.main === module) {
  const dest = process.argv[2] ?? "/tmp/spawnsafe-bench/relevant";
  const count = Number(process.argv[3] ?? 1000);
  const files = writeRelevantCorpus(dest, count);
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  console.log(`${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${dest}`);
}

/**
 * Writes a generated module of `functions` small functions (`def fN(x): return x + N`) and one
 * Pool in main() under a main guard: about 36 bytes a function (20,000 make 0.7 MB). `fix`
 * inserts one line into it.
 */
export function writeGeneratedModule(file: string, functions: number): number {
  const parts = ["import multiprocessing\n\n"];
  for (let i = 0; i < functions; i++) parts.push(`def f${i}(x):\n    return x + ${i}\n\n`);
  parts.push("def main():\n    with multiprocessing.Pool(2) as pool:\n        print(pool.map(f1, range(4)))\n\nif __name__ == '__main__':\n    main()\n");
  const text = parts.join("");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return Buffer.byteLength(text);
}

/**
 * The 3.6 MB module within its project: `pkg/big.py` (the module of writeBigModule) calls a
 * function of its neighbour `pkg/jobs.py` that starts processes, so the run reads it in its
 * first round, in the project model and in its last round. Returns the module's path.
 */
export function writeBigProject(dir: string, bigText: string): string {
  fs.mkdirSync(path.join(dir, "pkg"), { recursive: true });
  fs.writeFileSync(path.join(dir, "pyproject.toml"), "[project]\nname = 'pkg'\n");
  fs.writeFileSync(path.join(dir, "pkg", "__init__.py"), "");
  fs.writeFileSync(
    path.join(dir, "pkg", "jobs.py"),
    "import multiprocessing\n\n\ndef _square(x):\n    return x * x\n\n\ndef run_jobs(items):\n    with multiprocessing.get_context('spawn').Pool(2) as pool:\n        return pool.map(_square, items)\n",
  );
  const big = path.join(dir, "pkg", "big.py");
  fs.writeFileSync(big, `${bigText}\nfrom pkg.jobs import run_jobs\n\n\ndef _ss_jobs(items):\n    return run_jobs(items)\n`);
  return big;
}

/**
 * Copies the standard library's modules (what pythonFiles lists) into `dest`, a directory with
 * no project marker above it: there the library is one project root, whose model reads every
 * module (where python3 installed it, a marker above may make it a tree of names no import can
 * spell, whose model reads nothing). Returns the number of files.
 */
export function writeStdlibRoot(dest: string): number {
  const stdlib = stdlibDir();
  const files = pythonFiles(stdlib);
  fs.rmSync(dest, { recursive: true, force: true });
  for (const f of files) {
    const to = path.join(dest, path.relative(stdlib, f));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f, to);
  }
  return files.length;
}
