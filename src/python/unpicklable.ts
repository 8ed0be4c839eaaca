// What spawn cannot hand to a child: values that the pickler multiprocessing uses for a
// spawn child refuses, by the qualified name of what makes them, with CPython's own error.
// Each entry is checked against the real interpreter by test/unpicklable.slow.test.ts, which
// makes the value with `make` and hands it to a spawn-context Process.

export interface Unpicklable {
  /** CPython 3.11's error when a spawn child is started with such a value. */
  error: string;
  /** A Python expression that makes such a value (for the test). */
  make: string;
}

const LOCK = "TypeError: cannot pickle '_thread.lock' object";
const RLOCK = "TypeError: cannot pickle '_thread.RLock' object";
const TEXT_FILE = "TypeError: cannot pickle '_io.TextIOWrapper' object";

/** By the qualified name of the call that makes the value (or of the attribute that is it). */
export const UNPICKLABLE: Record<string, Unpicklable> = {
  "builtins.open": { error: TEXT_FILE, make: "open(__file__)" },
  "io.open": { error: TEXT_FILE, make: "__import__('io').open(__file__)" },
  "sys.stdin": { error: TEXT_FILE, make: "__import__('sys').stdin" },
  "sys.stdout": { error: TEXT_FILE, make: "__import__('sys').stdout" },
  "sys.stderr": { error: TEXT_FILE, make: "__import__('sys').stderr" },
  "select.epoll": { error: "TypeError: cannot pickle 'select.epoll' object", make: "__import__('select').epoll()" },
  "select.poll": { error: "TypeError: cannot pickle 'select.poll' object", make: "__import__('select').poll()" },
  "threading.Lock": { error: LOCK, make: "__import__('threading').Lock()" },
  "threading.RLock": { error: RLOCK, make: "__import__('threading').RLock()" },
  "threading.Event": { error: LOCK, make: "__import__('threading').Event()" },
  "threading.Condition": { error: RLOCK, make: "__import__('threading').Condition()" },
  "threading.Semaphore": { error: LOCK, make: "__import__('threading').Semaphore()" },
  "threading.BoundedSemaphore": { error: LOCK, make: "__import__('threading').BoundedSemaphore()" },
  "threading.Thread": { error: LOCK, make: "__import__('threading').Thread(target=print)" },
  "threading.Timer": { error: LOCK, make: "__import__('threading').Timer(1, print)" },
  "_thread.allocate_lock": { error: LOCK, make: "__import__('_thread').allocate_lock()" },
  "queue.Queue": { error: LOCK, make: "__import__('queue').Queue()" },
  "subprocess.Popen": { error: LOCK, make: "__import__('subprocess').Popen(['true'])" },
  "subprocess.Popen.stdin": { error: "TypeError: cannot pickle '_io.BufferedWriter' object", make: "__import__('subprocess').Popen(['cat'], stdin=-1).stdin" },
  "subprocess.Popen.stdout": { error: "TypeError: cannot pickle '_io.BufferedReader' object", make: "__import__('subprocess').Popen(['true'], stdout=-1).stdout" },
  "sqlite3.connect": { error: "TypeError: cannot pickle 'sqlite3.Connection' object", make: "__import__('sqlite3').connect(':memory:')" },
  "weakref.ref": { error: "TypeError: cannot pickle 'weakref.ReferenceType' object", make: "__import__('weakref').ref(__import__('threading'))" },
  "logging.FileHandler": { error: RLOCK, make: "__import__('logging').FileHandler(__import__('os').devnull)" },
  "logging.StreamHandler": { error: RLOCK, make: "__import__('logging').StreamHandler()" },
  "concurrent.futures.ThreadPoolExecutor": { error: "TypeError: cannot pickle '_queue.SimpleQueue' object", make: "__import__('concurrent.futures').futures.ThreadPoolExecutor()" },
  "multiprocessing.Manager": { error: "TypeError: cannot pickle 'weakref.ReferenceType' object", make: "__import__('multiprocessing').get_context('spawn').Manager()" },
};

/** The error for a file `open(...)` made with this mode literal: binary modes give buffered files. */
export function openError(mode: string | null): string {
  if (mode === null || !mode.includes("b")) return TEXT_FILE;
  if (mode.includes("+")) return "TypeError: cannot pickle '_io.BufferedRandom' object";
  return /[wax]/.test(mode) ? "TypeError: cannot pickle '_io.BufferedWriter' object" : "TypeError: cannot pickle '_io.BufferedReader' object";
}

/**
 * Calls whose values spawn hands over fine: plain data, and objects that pickle by value or
 * by name (a logger by its name, a socket as a file descriptor). Their arguments must be
 * picklable too where they are kept (`functools.partial`, containers).
 */
export const PICKLABLE_CALLS = new Set([
  "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.str", "builtins.int",
  "builtins.float", "builtins.bool", "builtins.bytes", "builtins.bytearray", "builtins.range", "builtins.complex",
  "collections.OrderedDict", "collections.Counter", "collections.deque", "io.BytesIO", "io.StringIO",
  "pathlib.Path", "pathlib.PurePath", "decimal.Decimal", "fractions.Fraction", "uuid.UUID", "datetime.datetime",
  "datetime.date", "datetime.timedelta", "logging.getLogger", "functools.partial", "socket.socket",
  // What these give is made of their arguments: an item (max, min), a number (len, sum, abs, round), a list of the items.
  "builtins.max", "builtins.min", "builtins.sum", "builtins.len", "builtins.abs", "builtins.round", "builtins.sorted",
]);
