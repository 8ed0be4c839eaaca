// A small pool of worker threads for the files that need parsing. Each worker loads the
// engine (and the native tree-sitter addon) once, then asks for work until none is left:
// the main thread hands out one file at a time, largest first, so one big file does not
// leave the other workers idle at the end. Results come back in any order and are put
// back in their place, so the output order does not depend on the scheduling.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { FileResult } from "../engine";
import type { FileInfo } from "../file-info";
import type { Options } from "../options";
import type { ModuleScope } from "./project";
import type { ProjectExports } from "./project-exports";

export interface Job {
  info: FileInfo;
  bytes: Buffer;
  options: Options;
  /** The project root the file belongs to, and where it sits in that project. */
  root: string;
  scope: ModuleScope;
}

/** By project root: its exports. Sent once to each worker. */
type Exports = Record<string, ProjectExports>;

interface Setup {
  spawnsafeWorker: true;
  exports: Exports;
  applyFixes: boolean;
}

type ToWorker = { index: number; job: Job } | null;
type FromWorker = { index: number; result: FileResult } | { index: number; crash: string } | { ready: true };

/**
 * Runs processFile over `jobs` in `threads` workers. Resolves with the results in the
 * order of `jobs` (a file whose processing throws gets an error result, see isolate.ts);
 * rejects only when a worker itself fails. `onResult()` is called after each file.
 * `cancelled()` is polled between files: once true, no more files are started and the
 * promise resolves with null once every worker has finished the file it holds.
 *
 * A worker is never terminated while it may be inside the parser: stopping a thread in the
 * middle of native code aborts the whole process (`terminate called after throwing an
 * instance of 'Napi::Error'`). Each is told to stop (a null message) when it asks for work,
 * and ends by itself.
 */
export function processInWorkers(
  jobs: Job[],
  projectExports: Exports,
  applyFixes: boolean,
  threads: number,
  cancelled: () => boolean,
  onResult: () => void = () => {},
): Promise<FileResult[] | null> {
  if (jobs.length === 0) return Promise.resolve([]);
  const results: FileResult[] = new Array(jobs.length);
  // Largest first: the longest files start early and the tail stays short.
  const queue = jobs.map((_, i) => i).sort((a, b) => jobs[b].bytes.length - jobs[a].bytes.length);
  let done = 0;
  const workers: Worker[] = [];
  return new Promise((resolve, reject) => {
    let settled = false;
    /** Set once the run is over: every worker is stopped as it asks for work, then this settles the promise. */
    let ending: { value: FileResult[] | null; error?: Error } | null = null;
    let running = 0;
    const settle = () => {
      if (settled || !ending || running > 0) return;
      settled = true;
      if (ending.error) reject(ending.error);
      else resolve(ending.value);
    };
    const end = (value: FileResult[] | null, error?: Error) => {
      ending ??= { value, ...(error ? { error } : {}) };
      settle();
    };
    const feed = (worker: Worker) => {
      if (!ending && cancelled()) end(null);
      const index = ending ? undefined : queue.shift();
      const message: ToWorker = index === undefined ? null : { index, job: jobs[index] };
      worker.postMessage(message);
    };
    const setup: Setup = { spawnsafeWorker: true, exports: projectExports, applyFixes };
    for (let i = 0; i < Math.min(threads, jobs.length); i++) {
      const worker = new Worker(__filename, { workerData: setup });
      workers.push(worker);
      running++;
      worker.on("message", (message: FromWorker) => {
        if ("crash" in message) end(null, new Error(`${jobs[message.index].info.path}: ${message.crash}`));
        else if ("result" in message) {
          results[message.index] = revive(message.result);
          onResult();
          if (++done === jobs.length) end(results);
        }
        feed(worker);
      });
      worker.on("error", (e) => end(null, e));
      worker.on("exit", (code) => {
        running--;
        if (code !== 0) end(null, new Error(`a worker thread exited with status ${code}`));
        settle();
      });
    }
  });
}

/** Buffers arrive as plain Uint8Arrays after the structured clone. */
function revive(result: FileResult): FileResult {
  const output = result.output as Uint8Array | null;
  if (output && !Buffer.isBuffer(output)) result.output = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  return result;
}

function serve(setup: Setup): void {
  // Loaded here, once per worker, and never on the main thread through this module.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { processIsolated } = require("../isolate") as typeof import("../isolate");
  const { contextOf } = require("./project") as typeof import("./project");
  const { NO_EXPORTS } = require("./project-exports") as typeof import("./project-exports");
  const port = parentPort!;
  port.on("message", (message: ToWorker) => {
    if (message === null) {
      port.close();
      return;
    }
    const { job } = message;
    const raw = job.bytes as Uint8Array;
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    try {
      const context = contextOf(setup.exports[job.root] ?? NO_EXPORTS, job.scope);
      const result = processIsolated(job.info, bytes, job.options, setup.applyFixes, context);
      // The texts serve diffs of changed files only: an unchanged file's need not be copied back.
      if (!result.output) result.before = result.after = "";
      port.postMessage({ index: message.index, result } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ index: message.index, crash: (e as Error)?.stack ?? String(e) } satisfies FromWorker);
    }
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

if (!isMainThread && (workerData as Setup | undefined)?.spawnsafeWorker) serve(workerData as Setup);
