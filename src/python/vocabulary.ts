// What multiprocessing, concurrent.futures, torch.multiprocessing and os export that spawnsafe
// recognises: the one vocabulary every list, prefilter and rule derives from.

/** Factories of the default context (`multiprocessing.X`) and of every context object (`ctx.X`). */
export const CONTEXT_FACTORIES = new Set([
  "Pool", "Process", "Manager", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock",
  "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
]);

/** Classes that take their context as an argument: the keyword and its position. */
export const CONTEXT_PARAMETERS: Record<string, { keyword: string; position: number }> = {
  "multiprocessing.pool.Pool": { keyword: "context", position: 4 },
  "multiprocessing.managers.SyncManager": { keyword: "ctx", position: 3 },
  "multiprocessing.managers.BaseManager": { keyword: "ctx", position: 3 },
  "concurrent.futures.ProcessPoolExecutor": { keyword: "mp_context", position: 1 },
  "concurrent.futures.process.ProcessPoolExecutor": { keyword: "mp_context", position: 1 },
};

/** Kinds of creation site whose creation starts (or is about to start) worker processes. */
export const PROCESS_STARTING = new Set(["Pool", "Process", "Manager", "ProcessSubclass", "ProcessPoolExecutor", "SyncManager", "BaseManager"]);

/**
 * Objects built on a SemLock: CPython refuses to pickle one made in a fork context for a
 * spawn or forkserver child. Managers are not here: their proxies travel between contexts.
 */
export const SEMLOCK_KINDS = new Set([
  "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
  "Condition", "Event", "Barrier", "Value", "Array",
]);

/** The module functions of multiprocessing that read or set the start method. */
export const START_METHOD_FUNCTIONS = ["set_start_method", "get_start_method", "get_context", "get_all_start_methods"];

/** Names that `from M import *` brings in, for the modules spawnsafe follows. */
export const STAR_EXPORTS: Record<string, string[]> = {
  multiprocessing: [...CONTEXT_FACTORIES, ...START_METHOD_FUNCTIONS],
  "multiprocessing.pool": ["Pool", "ThreadPool"],
  "multiprocessing.managers": ["BaseManager", "SyncManager"],
  "concurrent.futures": ["ProcessPoolExecutor", "ThreadPoolExecutor"],
  os: ["fork", "forkpty"],
  pty: ["fork"],
};

/** Calls that fork the running interpreter, by qualified name. */
export const FORKS = new Set(["os.fork", "os.forkpty", "posix.fork", "posix.forkpty", "pty.fork"]);

/** Where a creation call receives the function its processes run: keyword, position, role. */
export const WORKER_ARGUMENT: Record<string, { keyword: string; position: number; role: "target" | "initializer" }> = {
  Process: { keyword: "target", position: 1, role: "target" },
  Pool: { keyword: "initializer", position: 1, role: "initializer" },
  ProcessPoolExecutor: { keyword: "initializer", position: 2, role: "initializer" },
};

/** Where a process (or a pool's workers) receives objects: keyword and position of each argument. */
export const HANDED_OVER: Record<string, Array<{ keyword: string; position: number }>> = {
  Process: [{ keyword: "args", position: 3 }, { keyword: "kwargs", position: 4 }],
  Pool: [{ keyword: "initargs", position: 2 }],
  ProcessPoolExecutor: [{ keyword: "initargs", position: 3 }],
};

/** Methods of a pool and of an executor that send a function to the workers. */
export const POOL_METHODS = new Set(["map", "imap", "imap_unordered", "starmap", "map_async", "starmap_async", "apply", "apply_async"]);
export const EXECUTOR_METHODS = new Set(["submit", "map"]);

/** torch.multiprocessing mirrors multiprocessing's API: read it as multiprocessing. */
export function canonical(qname: string): string {
  return qname.replace(/^torch\.multiprocessing(?=\.|$)/, "multiprocessing");
}

/** The multiprocessing module a context for this API is taken from. */
export function mpModuleOf(qname: string): "multiprocessing" | "torch.multiprocessing" {
  return qname.startsWith("torch.multiprocessing") ? "torch.multiprocessing" : "multiprocessing";
}

/** The modules whose names, once bound by an import, can lead to the API. */
export const API_MODULES = ["multiprocessing", "concurrent.futures", "torch.multiprocessing", "os", "posix", "pty"];

/** The modules (and packages) of the process API, as imported: a name bound to one can start a chain to the API. */
export const API_MODULE_NAMES = [
  "multiprocessing", "multiprocessing.pool", "multiprocessing.managers", "multiprocessing.context", "concurrent",
  "concurrent.futures", "concurrent.futures.process", "torch",
];

/** The modules that create processes and their objects: what a project's re-exports are followed into. */
export const PROCESS_MODULES = ["multiprocessing", "concurrent.futures", "torch.multiprocessing"];

/** True when a qualified name is one of the process modules or a member of one. */
export function inProcessModules(qname: string): boolean {
  const name = canonical(qname);
  return PROCESS_MODULES.some((m) => name === m || name.startsWith(m + "."));
}

/**
 * Words one of which any use of the API writes somewhere in the file: an import or a
 * qualified use of multiprocessing (torch's included) names `multiprocessing`; the only
 * process API of concurrent.futures is `ProcessPoolExecutor`; a fork names `fork` or
 * `forkpty`. A file without any of them (and without a project name that leads to the API,
 * see src/gate.ts) has nothing to report.
 */
export const API_WORDS = ["multiprocessing", "ProcessPoolExecutor", "fork", "forkpty"];

/** The last part of every qualified name a call must resolve to for the analysis to care: what text search looks for first. */
export const API_CALL_NAMES = [...CONTEXT_FACTORIES, "ProcessPoolExecutor", "SyncManager", "BaseManager", "set_start_method", "get_context"];
