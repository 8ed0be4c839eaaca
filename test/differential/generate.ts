// Small, realistic multiprocessing programs for the differential test (issue 17, item 5): each
// works under fork (Python's default here before 3.14) and prints the same thing every run
// (sorted results, no pids, no timings). A program is built from independent choices:
//
//   structure  where the parent's code lives: under the main guard, in main(), setup under the
//              guard and the run in main(), at module level with no guard, or in a library
//              module of a package reached from a script;
//   maker      how processes are made: Pool (map, imap, starmap, apply_async, with or not,
//              multiprocessing.pool.Pool, a ThreadPool-or-Pool conditional), ProcessPoolExecutor
//              (submit, map), Process (a target with args or kwargs, a subclass handed a Pipe end,
//              a Queue/Event/Process trio, a Lock, joined or not), and the makers whose objects
//              stop pickling after construction or whose callables cannot be found by name;
//   reader     what the task reads: constants, or state the parent sets in one of many ways;
//   extras     identity (start method, worker names, isinstance), module-level effects (print,
//              input(), os.mkdir, a file write) with or without a guard.
//
// Many choices have a spawn-safe twin (the same shape done the textbook way), so that plainly
// safe programs are common: the yield is measured on them. Program `index` of seed `seed` is
// always the same project (files, entry, arguments, stdin, method).
import { random } from "../property/generate";

export interface DiffProgram {
  seed: number;
  index: number;
  /** Relative path → text. */
  files: Record<string, string>;
  /** The script to run, relative to the project. */
  entry: string;
  args: string[];
  /** Fed to the program's stdin (the child processes get /dev/null, as CPython gives them). */
  stdin: string;
  /** The method `fix --method` migrates to. */
  method: "spawn" | "forkserver";
  /** The choices it was built from ("maker:pool-map", "read:append", ...). */
  families: string[];
  /** Built only from spawn-safe choices: meant to run the same under spawn once guarded. */
  plain: boolean;
  /** The families that are not spawn-safe choices (empty when plain). */
  hazards: string[];
}

class Picker {
  constructor(private readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  one<const T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** One of `items`, each as likely as its weight. */
  weighted<T extends { weight: number }>(items: readonly T[]): T {
    const total = items.reduce((s, i) => s + i.weight, 0);
    let r = this.next() * total;
    for (const item of items) {
      r -= item.weight;
      if (r < 0) return item;
    }
    return items[items.length - 1];
  }
}

/** How a module reaches multiprocessing's names. */
type ImportStyle = "alias" | "plain" | "from";

/** One Python module being written: its imports and its module-level definitions. */
class Module {
  private readonly imports: string[] = [];
  private readonly fromMp = new Set<string>();
  readonly defs: string[][] = [];
  constructor(readonly style: ImportStyle) {}
  import(line: string): void {
    if (!this.imports.includes(line)) this.imports.push(line);
  }
  /** A multiprocessing name as this module spells it (`mp.Pool`, `multiprocessing.Pool`, `Pool`). */
  mp(name: string): string {
    if (this.style === "from") {
      this.fromMp.add(name);
      return name;
    }
    this.import(this.style === "alias" ? "import multiprocessing as mp" : "import multiprocessing");
    return `${this.style === "alias" ? "mp" : "multiprocessing"}.${name}`;
  }
  /** The multiprocessing module itself, for `isinstance(p, multiprocessing.Process)`. */
  mpModule(): string {
    if (this.style === "alias") return this.mp("Process").replace(/\.Process$/, "");
    this.import("import multiprocessing");
    return "multiprocessing";
  }
  def(lines: string[]): void {
    if (!this.defs.some((d) => d.join("\n") === lines.join("\n"))) this.defs.push(lines);
  }
  headerLines(): string[] {
    const lines = [...this.imports];
    if (this.fromMp.size) lines.push(`from multiprocessing import ${[...this.fromMp].sort().join(", ")}`);
    return lines;
  }
}

/** Where the parent's setup runs: under the guard, in a function, or at module level. */
type Level = "guard" | "function" | "top";

interface Ctx {
  p: Picker;
  families: string[];
  hazards: string[];
  plain: boolean;
  script: Module;
  /** Where processes are made: the script, or pkg/runner.py. */
  host: Module;
  library: boolean;
  level: Level;
  /** Module-level lines of the script before its definitions (effects). */
  top: string[];
  /** The parent's setup before the processes are made. */
  setup: string[];
  /** Names `setup` assigns, declared `global` when it runs in a function. */
  globals: Set<string>;
  /** Lines after the results are printed. */
  after: string[];
  files: Record<string, string>;
  args: string[];
  stdin: string;
  method: "spawn" | "forkserver";
  /** Pool size; 1 where a task's result depends on the tasks its worker ran before. */
  workers: number;
  /** The data expression the tasks run over. */
  data: string;
}

function family(c: Ctx, name: string, safe: boolean): void {
  c.families.push(name);
  if (!safe) {
    c.plain = false;
    c.hazards.push(name);
  }
}

const indent = (lines: string[], by = 1): string[] => lines.map((l) => (l === "" ? l : "    ".repeat(by) + l));

// ---------------------------------------------------------------------------------------------
// Readers: the body of `work(x)`, the task every maker runs, and the state it reads.

interface Reader {
  name: string;
  weight: number;
  /** Levels the reader's setup can run at (a star import cannot run in a function). */
  levels?: Level[];
  /** Results depend on the tasks a worker ran before: one worker. */
  oneWorker?: boolean;
  /** Returns the body of work(x); adds definitions, setup, files. Calls family(). */
  build(c: Ctx): string[];
}

const readers: Reader[] = [
  {
    name: "const",
    weight: 14,
    build(c) {
      family(c, "read:const", true);
      const form = c.p.one(["scale", "table", "tuple"]);
      if (form === "scale") {
        c.script.def(["FACTOR = 3", "OFFSET = 1"]);
        return ["return x * FACTOR + OFFSET"];
      }
      if (form === "table") {
        c.script.def(['NAMES = {0: "zero", 1: "one", 2: "two", 3: "three"}']);
        return ["return NAMES[x % 4].upper()"];
      }
      c.script.def(["WEIGHTS = (2, 3, 5)"]);
      return ["return sum(w * x for w in WEIGHTS)"];
    },
  },
  {
    name: "argparse",
    weight: 4,
    build(c) {
      c.script.import("import argparse");
      c.script.import("import os");
      c.script.def(["parser = argparse.ArgumentParser()", 'parser.add_argument("--outdir", default="out")']);
      c.args.push("--outdir", "results");
      if (c.level === "top" || c.p.chance(0.4)) {
        // At module level: sys.argv reaches spawned children, so they parse the same.
        family(c, "read:argparse-top", true);
        c.script.def(["args = parser.parse_args()"]);
      } else {
        family(c, "read:argparse-guard", false);
        c.setup.push("args = parser.parse_args()");
        c.globals.add("args");
      }
      return ['return os.path.join(args.outdir, "part%d.txt" % x)'];
    },
  },
  {
    name: "assign",
    weight: 3,
    build(c) {
      family(c, `read:assign-${c.level}`, c.level === "top");
      if (c.p.chance(0.5)) c.script.def(["FACTOR = 1"]);
      c.setup.push("FACTOR = 5");
      c.globals.add("FACTOR");
      return ["return x * FACTOR"];
    },
  },
  {
    name: "mutate",
    weight: 4,
    build(c) {
      const form = c.p.one(["append", "update", "setitem", "extend"]);
      family(c, `read:${form}-${c.level}`, c.level === "top");
      if (form === "append" || form === "extend") {
        c.script.def(["EXTRA = []"]);
        c.setup.push(form === "append" ? "EXTRA.append(4)" : "EXTRA.extend([2, 2])");
        return ["return x + sum(EXTRA)"];
      }
      c.script.def(['SETTINGS = {"scale": 1}']);
      c.setup.push(form === "update" ? "SETTINGS.update(scale=3)" : 'SETTINGS["scale"] = 3');
      return ['return x * SETTINGS["scale"]'];
    },
  },
  {
    name: "module-write",
    weight: 5,
    build(c) {
      const form = c.p.one(["setattr", "globals", "exec", "vars", "import-main"]);
      family(c, `read:${form}-${c.level}`, c.level === "top" && form !== "import-main");
      c.script.def(["FACTOR = 1"]);
      if (form === "setattr" || form === "vars") c.script.import("import sys");
      c.setup.push(
        ...{
          setattr: ['setattr(sys.modules[__name__], "FACTOR", 6)'],
          globals: ['globals()["FACTOR"] = 6'],
          exec: ['exec("FACTOR = 6", globals())'],
          vars: ["vars(sys.modules[__name__]).update(FACTOR=6)"],
          "import-main": ["import __main__", "", "__main__.FACTOR = 6"].filter((l) => l),
        }[form],
      );
      return ["return x * FACTOR"];
    },
  },
  {
    name: "class-attr",
    weight: 3,
    build(c) {
      const form = c.p.one(["classmethod", "type-obj"]);
      family(c, `read:${form}-${c.level}`, c.level === "top");
      c.script.def([
        "class Config:",
        "    factor = 1",
        "",
        "    @classmethod",
        "    def configure(cls, value):",
        "        cls.factor = value",
      ]);
      if (form === "classmethod") c.setup.push("Config.configure(7)");
      else c.setup.push("cfg = Config()", "type(cfg).factor = 7");
      return ["return x * Config.factor"];
    },
  },
  {
    name: "iterator",
    weight: 2,
    oneWorker: true,
    build(c) {
      family(c, `read:next-iterator-${c.level}`, c.level === "top");
      c.script.import("import itertools");
      c.script.def(["_tickets = itertools.count(100)"]);
      c.setup.push("next(_tickets)", "next(_tickets)");
      return ["return (x, next(_tickets))"];
    },
  },
  {
    name: "default-cache",
    weight: 2,
    build(c) {
      family(c, `read:mutable-default-${c.level}`, c.level === "top");
      c.script.def([
        "def lookup(key, value=None, _cache={}):",
        "    if value is not None:",
        "        _cache[key] = value",
        "    return _cache.get(key, 1)",
      ]);
      c.setup.push('lookup("scale", 7)');
      return ['return x * lookup("scale")'];
    },
  },
  {
    name: "interpreter",
    weight: 7,
    build(c) {
      const form = c.p.one(["monkeypatch", "stdlib-attr", "decimal", "recursion", "warnings", "sys-modules", "logging", "socket-timeout"]);
      // At module level the child sets the same itself: the safe twin.
      const top = c.level === "top" || c.p.chance(0.25);
      family(c, `read:${form}-${top ? "top" : c.level}`, top);
      const put = (lines: string[]) => (top ? c.script.def(lines) : c.setup.push(...lines));
      switch (form) {
        case "monkeypatch":
          c.script.import("import math");
          c.script.def(["def _shifted_sqrt(v):", "    return (v ** 0.5) + 100"]);
          put(["math.sqrt = _shifted_sqrt"]);
          return ["return math.sqrt(x * x)"];
        case "stdlib-attr":
          c.script.import("import string");
          put(['string.TAG = "v2"']);
          return ['return (x, getattr(string, "TAG", "v1"))'];
        case "decimal":
          c.script.import("import decimal");
          put(["decimal.getcontext().prec = 4"]);
          return ["return str(decimal.Decimal(1) / decimal.Decimal(x + 3))"];
        case "recursion":
          c.script.import("import sys");
          c.script.def(["def depth(n):", "    return 0 if n == 0 else 1 + depth(n - 1)"]);
          put(["sys.setrecursionlimit(5000)"]);
          return ["return depth(1500 + x)"];
        case "warnings":
          c.script.import("import warnings");
          c.script.def([
            "def checked(v):",
            "    try:",
            '        warnings.warn("old value", DeprecationWarning)',
            "    except DeprecationWarning:",
            "        return -v",
            "    return v",
          ]);
          put(['warnings.simplefilter("error")']);
          return ["return checked(x)"];
        case "sys-modules":
          c.script.import("import sys");
          c.script.import("import types");
          put(['sys.modules["appconfig"] = types.SimpleNamespace(SCALE=3)']);
          return ["import appconfig", "", "return x * appconfig.SCALE"].filter((l) => l);
        case "logging":
          c.script.import("import logging");
          c.script.def(["log = logging.getLogger(__name__)"]);
          put(["logging.basicConfig(level=logging.DEBUG)"]);
          return ["return (x, log.isEnabledFor(logging.DEBUG))"];
        default:
          c.script.import("import socket");
          put(["socket.setdefaulttimeout(7)"]);
          return ["return (x, socket.getdefaulttimeout())"];
      }
    },
  },
  {
    name: "registry",
    weight: 4,
    build(c) {
      const form = c.p.one(["decorator", "plugin"]);
      const top = c.level === "top" || c.p.chance(0.35);
      family(c, `read:${form}-registry-${top ? "top" : c.level}`, top);
      if (form === "decorator") {
        c.script.def(["HANDLERS = {}"]);
        c.script.def(["def register(name):", "    def deco(func):", "        HANDLERS[name] = func", "        return func", "", "    return deco"]);
        if (top) c.script.def(['@register("double")', "def double(v):", "    return 2 * v"]);
        else {
          c.script.def(["def double(v):", "    return 2 * v"]);
          c.setup.push('register("double")(double)');
        }
        return ['return HANDLERS["double"](x)'];
      }
      c.files["plugins/__init__.py"] = [
        "class Plugin:",
        "    registry = {}",
        "",
        "    def __init_subclass__(cls, **kwargs):",
        "        super().__init_subclass__(**kwargs)",
        "        Plugin.registry[cls.__name__.lower()] = cls",
        "",
      ].join("\n");
      c.files["plugins/upper.py"] = ["from plugins import Plugin", "", "", "class Upper(Plugin):", "    scale = 10", ""].join("\n");
      c.script.import("from plugins import Plugin");
      if (top) c.script.import("import plugins.upper");
      else {
        c.script.import("import importlib");
        c.setup.push('importlib.import_module("plugins.upper")');
      }
      return ['return x * (Plugin.registry["upper"].scale if "upper" in Plugin.registry else 1)'];
    },
  },
  {
    name: "other-module",
    weight: 4,
    build(c) {
      // A library module's state that the script sets.
      const form = c.p.one(["attribute", "setattr", "vars", "none"]);
      family(c, `read:lib-state-${form === "none" ? "const" : form}-${c.level}`, form === "none" || c.level === "top");
      c.files["appcore/__init__.py"] = "";
      c.files["appcore/settings.py"] = "SCALE = 1\n";
      c.script.import("from appcore import settings");
      if (form === "attribute") c.setup.push("settings.SCALE = 4");
      if (form === "setattr") c.setup.push('setattr(settings, "SCALE", 4)');
      if (form === "vars") c.setup.push("vars(settings).update(SCALE=4)");
      return ["return x * settings.SCALE"];
    },
  },
  {
    name: "star-import",
    weight: 2,
    levels: ["guard", "top"],
    build(c) {
      c.files["consts.py"] = "SCALE = 4\nOFFSET = 1\n";
      if (c.level === "top" || c.p.chance(0.4)) {
        family(c, "read:star-import-top", true);
        c.script.import("from consts import *");
      } else {
        family(c, "read:star-import-guard", false);
        c.setup.push("from consts import *");
      }
      return ["return x * SCALE + OFFSET"];
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Makers: the lines that make the processes, run `task` over `data` and leave `res` (a sorted
// list); for the library structure they run in run_all(func, items) with task/data renamed.

interface Made {
  /** Lines, at the level of the code that runs them. */
  run: string[];
  /** Whether it leaves `res` for the caller to print (else it prints itself). */
  result: boolean;
  /** More parameters of run_all in the library structure, each with its default. */
  params?: string[];
}

interface Maker {
  name: string;
  weight: number;
  /** Can live in a library module of a package (its task is a parameter there). */
  library?: boolean;
  /** Levels its setup may run at (a class under the guard needs the guard). */
  levels?: Level[];
  /** Pools: identity extras that name pool workers apply. */
  pool?: boolean;
  build(c: Ctx, task: string, data: string): Made;
}

function poolExpr(c: Ctx): string {
  const h = c.host;
  const form = c.p.one(["module", "module", "module", "pool-module", "conditional", "from", "bare-context"]);
  if (form === "bare-context") {
    // A context with no method named: the default one, which the fix names.
    family(c, "pool:bare-get-context", true);
    return `${h.mp("get_context")}().Pool(${c.workers})`;
  }
  if (form === "pool-module") {
    family(c, "pool:multiprocessing.pool.Pool", true);
    h.import("import multiprocessing.pool");
    return `multiprocessing.pool.Pool(${c.workers})`;
  }
  if (form === "conditional") {
    family(c, "pool:threadpool-or-pool", true);
    h.import("import sys");
    h.import("from multiprocessing.pool import ThreadPool");
    return `ThreadPool(${c.workers}) if sys.platform == "win32" else ${h.mp("Pool")}(${c.workers})`;
  }
  if (form === "from") {
    family(c, "pool:from-import", true);
    h.import("from multiprocessing import Pool");
    return `Pool(${c.workers})`;
  }
  return `${h.mp("Pool")}(${c.workers})`;
}

/** A Process target that calls the task: in the library it takes the task as an argument. */
function callTarget(c: Ctx, name: string, params: string[], body: (call: string) => string[]): { target: string; args: (x: string) => string[] } {
  const lib = c.library;
  const all = lib ? [...params.slice(0, -1), "func", params[params.length - 1]] : params;
  c.host.def([`def ${name}(${all.join(", ")}):`, ...indent(body(lib ? "func(x)" : "work(x)"))]);
  return { target: name, args: (x) => (lib ? [...params.slice(0, -1), "func", x] : [...params.slice(0, -1), x]) };
}

function joinAll(c: Ctx, procs: string): string[] {
  const form = c.p.one(["all", "all", "all", "none"]);
  family(c, `join:${form}`, true);
  return form === "all" ? [`for p in ${procs}:`, "    p.join()"] : [];
}

const makers: Maker[] = [
  {
    name: "pool",
    weight: 16,
    library: true,
    pool: true,
    build(c, task, data) {
      const call = c.p.one(["map", "map", "imap", "imap_unordered", "starmap", "apply_async", "map_async"]);
      const withForm = c.p.chance(0.65);
      family(c, `maker:pool-${call}-${withForm ? "with" : "plain"}`, true);
      const expr = poolExpr(c);
      const use = {
        map: [`res = sorted(pool.map(${task}, ${data}))`],
        imap: [`res = sorted(pool.imap(${task}, ${data}))`],
        imap_unordered: [`res = sorted(pool.imap_unordered(${task}, ${data}))`],
        starmap: [`res = sorted(pool.starmap(${task}, [(x,) for x in ${data}]))`],
        apply_async: [`pending = [pool.apply_async(${task}, (x,)) for x in ${data}]`, "res = sorted(r.get(timeout=20) for r in pending)"],
        map_async: [`res = sorted(pool.map_async(${task}, ${data}).get(timeout=20))`],
      }[call];
      if (withForm) return { run: [`with ${expr} as pool:`, ...indent(use)], result: true };
      return { run: [`pool = ${expr}`, ...use, "pool.close()", "pool.join()"], result: true };
    },
  },
  {
    name: "executor",
    weight: 6,
    library: true,
    build(c, task, data) {
      const call = c.p.one(["submit", "map"]);
      family(c, `maker:executor-${call}`, true);
      let cls: string;
      if (c.p.chance(0.5)) {
        c.host.import("from concurrent.futures import ProcessPoolExecutor");
        cls = "ProcessPoolExecutor";
      } else {
        c.host.import("import concurrent.futures as cf");
        cls = "cf.ProcessPoolExecutor";
      }
      const use =
        call === "submit"
          ? [`futures = [ex.submit(${task}, x) for x in ${data}]`, "res = sorted(f.result() for f in futures)"]
          : [`res = sorted(ex.map(${task}, ${data}))`];
      if (c.p.chance(0.3)) {
        // The caller may hand its own executor: the name is bound to it or to the one made here.
        family(c, "executor:or-callers", true);
        const made = [`if ex is None:`, `    ex = ${cls}(max_workers=${c.workers})`, ...use, "ex.shutdown()"];
        return c.library ? { run: made, result: true, params: ["ex=None"] } : { run: ["ex = None", ...made], result: true };
      }
      return { run: [`with ${cls}(max_workers=${c.workers}) as ex:`, ...indent(use)], result: true };
    },
  },
  {
    name: "process-queue",
    weight: 7,
    library: true,
    build(c, _task, data) {
      const kw = c.p.chance(0.3);
      family(c, `maker:process-queue-${kw ? "kwargs" : "args"}`, true);
      const t = callTarget(c, "run_one", ["q", "x"], (call) => [`q.put(${call})`]);
      const args = t.args("x");
      const how = kw ? `kwargs={${args.map((a) => `"${a}": ${a}`).join(", ")}}` : `args=(${args.join(", ")},)`;
      const run = [
        `q = ${c.host.mp("Queue")}()`,
        `procs = [${c.host.mp("Process")}(target=${t.target}, ${how}) for x in ${data}]`,
        "for p in procs:",
        "    p.start()",
        "res = sorted(q.get(timeout=20) for _ in procs)",
        ...joinAll(c, "procs"),
      ];
      if (!c.library && c.p.chance(0.25)) {
        family(c, "identity:isinstance-process", false);
        run.push(`print(isinstance(procs[0], ${c.host.mpModule()}.Process))`);
      }
      return { run, result: true };
    },
  },
  {
    // A class whose constructor starts a manager's server process, made through a subclass.
    name: "manager-in-constructor",
    weight: 3,
    library: true,
    build(c, task, data) {
      const form = c.p.one(["inherited", "super", "base-call"]);
      family(c, `maker:manager-in-constructor-${form}`, true);
      c.host.def(["class Collector:", "    def __init__(self):", `        self.manager = ${c.host.mp("Manager")}()`, "        self.out = self.manager.list()"]);
      const init = {
        inherited: ["    pass"],
        super: ["    def __init__(self):", "        super().__init__()"],
        "base-call": ["    def __init__(self):", "        Collector.__init__(self)"],
      }[form];
      c.host.def(["class Squares(Collector):", ...init]);
      return { run: ["col = Squares()", `for x in ${data}:`, `    col.out.append(${task}(x))`, "res = sorted(col.out)", "col.manager.shutdown()"], result: true };
    },
  },
  {
    name: "process-subclass-pipe",
    weight: 6,
    library: true,
    build(c, _task, data) {
      family(c, "maker:process-subclass-pipe", true);
      const lib = c.library;
      c.host.def([
        `class Worker(${c.host.mp("Process")}):`,
        `    def __init__(self, conn, ${lib ? "func, " : ""}x):`,
        "        super().__init__()",
        "        self.conn = conn",
        ...(lib ? ["        self.func = func"] : []),
        "        self.x = x",
        "",
        "    def run(self):",
        `        self.conn.send(${lib ? "self.func" : "work"}(self.x))`,
        "        self.conn.close()",
      ]);
      const unpack = c.p.chance(0.5);
      return {
        run: [
          "res = []",
          `for x in ${data}:`,
          ...(unpack
            ? [`    parent_end, child_end = ${c.host.mp("Pipe")}()`]
            : [`    ends = ${c.host.mp("Pipe")}()`, "    parent_end, child_end = ends[0], ends[1]"]),
          `    w = Worker(child_end, ${lib ? "func, " : ""}x)`,
          "    w.start()",
          "    res.append(parent_end.recv())",
          "    w.join()",
          "res.sort()",
        ],
        result: true,
      };
    },
  },
  {
    name: "process-trio",
    weight: 6,
    library: true,
    build(c, _task, data) {
      const tuple = c.p.chance(0.4);
      family(c, `maker:queue-event-process${tuple ? "-tuple" : ""}`, true);
      const t = callTarget(c, "wait_and_put", ["q", "ready", "x"], (call) => ["ready.wait(20)", `q.put(${call})`]);
      const h = c.host;
      return {
        run: [
          ...(tuple ? [`q, ready = ${h.mp("Queue")}(), ${h.mp("Event")}()`] : [`q = ${h.mp("Queue")}()`, `ready = ${h.mp("Event")}()`]),
          `procs = [${h.mp("Process")}(target=${t.target}, args=(${t.args("x").join(", ")},)) for x in ${data}]`,
          "for p in procs:",
          "    p.start()",
          "ready.set()",
          "res = sorted(q.get(timeout=20) for _ in procs)",
          ...joinAll(c, "procs"),
        ],
        result: true,
      };
    },
  },
  {
    name: "process-lock",
    weight: 5,
    build(c, _task, data) {
      // One child prints under a lock; the parent prints nothing after starting it.
      const join = c.p.one(["join", "join", "none", "one-path", "timeout"]);
      family(c, `maker:process-lock-join-${join}`, join === "join");
      c.host.def(["def report(lock, x):", "    with lock:", '        print("result", work(x), flush=True)']);
      if (join === "one-path") c.host.import("import sys");
      const joins = {
        join: ["p.join()"],
        none: [],
        "one-path": ['if "--wait" in sys.argv:', "    p.join()"],
        timeout: ["p.join(timeout=0.01)"],
      }[join];
      return {
        run: [
          `lock = ${c.host.mp("Lock")}()`,
          `p = ${c.host.mp("Process")}(target=report, args=(lock, max(${data})))`,
          'print("starting", flush=True)',
          "p.start()",
          ...joins,
        ],
        result: false,
      };
    },
  },
  {
    name: "crossing",
    weight: 9,
    build(c, _task, data) {
      // Targets and arguments that pickle or not once the parent has changed them.
      const form = c.p.one([
        "lock-in-list",
        "kwargs-update",
        "instance-attr",
        "subclass-attr",
        "decorated",
        "wraps",
        "staticmethod-closure",
        "plain-instance",
      ]);
      const safe = form === "wraps" || form === "plain-instance";
      family(c, `maker:crossing-${form}`, safe);
      const h = c.host;
      const Q = h.mp("Queue");
      const P = h.mp("Process");
      const collect = ["res = sorted(q.get(timeout=20) for _ in procs)", "for p in procs:", "    p.join()"];
      const start = ["for p in procs:", "    p.start()"];
      if (form !== "decorated" && form !== "wraps" && form !== "staticmethod-closure" && form !== "plain-instance") h.import("import threading");
      switch (form) {
        case "lock-in-list":
          h.def(["def run_with(q, x, extras):", "    q.put((work(x), len(extras)))"]);
          return {
            run: [
              `q = ${Q}()`,
              'extras = ["a"]',
              "extras.append(threading.Lock())",
              `procs = [${P}(target=run_with, args=(q, x, extras)) for x in ${data}]`,
              ...start,
              ...collect,
            ],
            result: true,
          };
        case "kwargs-update":
          h.def(["def run_kw(q, x, guard=None):", "    q.put((work(x), guard is not None))"]);
          return {
            run: [
              `q = ${Q}()`,
              "procs = []",
              `for x in ${data}:`,
              '    kwargs = {"q": q, "x": x}',
              "    kwargs.update(guard=threading.Lock())",
              `    procs.append(${P}(target=run_kw, kwargs=kwargs))`,
              ...start,
              ...collect,
            ],
            result: true,
          };
        case "instance-attr":
        case "plain-instance":
          h.def([
            "class Job:",
            "    def __init__(self, scale):",
            "        self.scale = scale",
            "",
            "    def run(self, q, x):",
            "        q.put((work(x), self.scale))",
          ]);
          return {
            run: [
              `q = ${Q}()`,
              "job = Job(2)",
              ...(form === "instance-attr" ? ["job.lock = threading.Lock()"] : []),
              `procs = [${P}(target=job.run, args=(q, x)) for x in ${data}]`,
              ...start,
              ...collect,
            ],
            result: true,
          };
        case "subclass-attr":
          h.def([
            `class Worker(${P}):`,
            "    def __init__(self, q, x):",
            "        super().__init__()",
            "        self.q = q",
            "        self.x = x",
            "",
            "    def run(self):",
            "        self.q.put(work(self.x))",
          ]);
          return {
            run: [
              `q = ${Q}()`,
              "procs = []",
              `for x in ${data}:`,
              "    w = Worker(q, x)",
              "    w.lock = threading.Lock()",
              "    procs.append(w)",
              ...start,
              ...collect,
            ],
            result: true,
          };
        case "decorated":
        case "wraps":
          if (form === "wraps") h.import("import functools");
          h.def([
            "def traced(func):",
            ...(form === "wraps" ? ["    @functools.wraps(func)"] : []),
            "    def wrapper(*args, **kwargs):",
            "        return func(*args, **kwargs)",
            "",
            "    return wrapper",
          ]);
          h.def(["@traced", "def run_one(q, x):", "    q.put(work(x))"]);
          return { run: [`q = ${Q}()`, `procs = [${P}(target=run_one, args=(q, x)) for x in ${data}]`, ...start, ...collect], result: true };
        default:
          h.def(["def make_runner(scale):", "    def runner(q, x):", "        q.put((work(x), scale))", "", "    return runner"]);
          h.def(["class Tasks:", "    run = staticmethod(make_runner(2))"]);
          return { run: [`q = ${Q}()`, `procs = [${P}(target=Tasks.run, args=(q, x)) for x in ${data}]`, ...start, ...collect], result: true };
      }
    },
  },
  {
    name: "local-class",
    weight: 5,
    pool: true,
    build(c, _task, data) {
      // A callable class or dataclass defined where the parent runs: under the guard it is
      // `__main__.Scaler` (found under fork, not in a spawned child's `__mp_main__`); in a
      // function only a Process target can use it (a pool pickles it under fork too).
      const dataclass = c.p.chance(0.5);
      const kind = dataclass ? "dataclass" : "callable";
      if (dataclass) c.script.import("from dataclasses import dataclass");
      const cls = dataclass
        ? ["@dataclass", "class Item:", "    value: int", "", "    def __call__(self, x):", "        return (work(x), self.value)"]
        : [
            "class Scaler:",
            "    def __init__(self, value):",
            "        self.value = value",
            "",
            "    def __call__(self, x):",
            "        return (work(x), self.value)",
          ];
      const name = dataclass ? "Item" : "Scaler";
      if (c.level === "function") {
        family(c, `maker:${kind}-in-function-process`, false);
        c.setup.push(...cls);
        c.host.def(["def call_put(q, fn, x):", "    q.put(fn(x))"]);
        return {
          run: [
            `q = ${c.host.mp("Queue")}()`,
            `procs = [${c.host.mp("Process")}(target=call_put, args=(q, ${name}(2), x)) for x in ${data}]`,
            "for p in procs:",
            "    p.start()",
            "res = sorted(q.get(timeout=20) for _ in procs)",
            "for p in procs:",
            "    p.join()",
          ],
          result: true,
        };
      }
      if (c.level === "top") {
        family(c, `maker:${kind}-module-level-pool`, true);
        c.script.def(cls);
      } else {
        family(c, `maker:${kind}-under-guard-pool`, false);
        c.setup.push(...cls);
      }
      return { run: [`with ${c.host.mp("Pool")}(${c.workers}) as pool:`, `    res = sorted(pool.map(${name}(2), ${data}))`], result: true };
    },
  },
  {
    name: "helper-parameter",
    weight: 4,
    pool: true,
    build(c, task, data) {
      // The task reaches the pool as a parameter of a helper in the same file, or a Process
      // target as a parameter of a method whose callers are in the same class.
      const form = c.p.one(["pool-helper", "method-target"]);
      family(c, `maker:${form}-parameter`, true);
      const h = c.host;
      if (form === "pool-helper") {
        h.def(["def parallel(fn, items):", `    with ${h.mp("Pool")}(${c.workers}) as pool:`, "        return sorted(pool.map(fn, items))"]);
        return { run: [`res = parallel(${task}, ${data})`], result: true };
      }
      h.def(["def pump(q, x):", "    q.put(work(x))"]);
      h.def([
        "class Supervisor:",
        "    def __init__(self):",
        `        self.q = ${h.mp("Queue")}()`,
        "        self.children = []",
        "",
        "    def start_child(self, target, *args):",
        `        child = ${h.mp("Process")}(target=target, args=(self.q,) + args)`,
        "        child.start()",
        "        self.children.append(child)",
        "",
        "    def run(self, items):",
        "        for x in items:",
        "            self.start_child(pump, x)",
        "        out = sorted(self.q.get(timeout=20) for _ in self.children)",
        "        for child in self.children:",
        "            child.join()",
        "        return out",
      ]);
      return { run: [`res = Supervisor().run(${data})`], result: true };
    },
  },
  {
    name: "env-forkserver",
    weight: 3,
    pool: true,
    build(c, _task, data) {
      // Under forkserver the server keeps the environment it started with.
      const late = c.p.chance(0.6);
      family(c, `maker:environ-${late ? "after" : "before"}-first-start`, !late || c.method !== "forkserver");
      c.host.import("import os");
      c.host.def(["def read_mode(x):", '    return (work(x), os.environ.get("APP_MODE", "default"))']);
      const P = c.host.mp("Pool");
      const pool = (name: string) => [`with ${P}(${c.workers}) as pool:`, `    ${name} = sorted(pool.map(read_mode, ${data}))`];
      const set = ['os.environ["APP_MODE"] = "tuned"'];
      return { run: [...(late ? [] : set), ...pool("first"), ...(late ? set : []), ...pool("second"), "res = first + second"], result: true };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Extras: identity and module-level effects.

function extras(c: Ctx, maker: Maker): void {
  const h = c.host;
  if (c.p.chance(0.1)) {
    family(c, "identity:print-start-method", false);
    c.after.push(`print("method", ${c.script.mp("get_start_method")}())`);
  }
  if (maker.pool && !c.library && c.p.chance(0.15)) {
    family(c, "identity:pool-worker-names", false);
    h.def(["def worker_name(_):", `    return ${h.mp("current_process")}().name.rstrip("0123456789")`]);
    c.after.push(`with ${h.mp("Pool")}(2) as names_pool:`, "    print(sorted(set(names_pool.map(worker_name, range(4)))))");
  }
  if (c.p.chance(0.22)) {
    const form = c.p.one(["print", "input", "mkdir", "makedirs", "write"]);
    // Under the guard (or in main) the effect runs once in any method: the safe twin.
    const guarded = c.level !== "top" && c.p.chance(0.35);
    family(c, `effect:${form}-${guarded ? "guarded" : "module"}`, guarded || form === "makedirs");
    const lines: string[] = [];
    if (form === "print") lines.push('print("loading tasks")');
    if (form === "input") {
      lines.push("NAME = input()");
      c.after.push('print("hello", NAME)');
      c.stdin = "world\n";
      if (guarded) c.globals.add("NAME");
    }
    if (form === "mkdir" || form === "makedirs") {
      c.script.import("import os");
      lines.push(form === "mkdir" ? 'os.mkdir("cache")' : 'os.makedirs("cache", exist_ok=True)');
    }
    if (form === "write") {
      lines.push('with open("trace.log", "a") as fh:', '    fh.write("import\\n")');
      c.after.push('with open("trace.log") as fh:', '    print("imports", fh.read().count("import"))');
    }
    if (guarded) c.setup.unshift(...lines);
    else c.top.push(...lines);
  }
}

// ---------------------------------------------------------------------------------------------

const structures: Array<{ name: string; weight: number; level: Level; library: boolean }> = [
  { name: "guard", weight: 5, level: "guard", library: false },
  { name: "main-function", weight: 5, level: "function", library: false },
  { name: "guard-setup-main-run", weight: 2, level: "guard", library: false },
  { name: "unguarded", weight: 2, level: "top", library: false },
  { name: "library-guard", weight: 2, level: "guard", library: true },
  { name: "library-main-function", weight: 2, level: "function", library: true },
  { name: "library-unguarded", weight: 1, level: "top", library: true },
];

export function generate(seed: number, index: number): DiffProgram {
  // Each program its own stream: program i does not depend on the ones before it.
  const p = new Picker(random((seed * 1000003 + index * 7919 + 17) >>> 0));
  const style = p.one<ImportStyle>(["alias", "alias", "plain", "from"]);
  const structure = p.weighted(structures);
  const script = new Module(style);
  const c: Ctx = {
    p,
    families: [`structure:${structure.name}`, `import:${style}`],
    hazards: [],
    plain: true,
    script,
    host: structure.library ? new Module(p.one<ImportStyle>(["alias", "plain", "from"])) : script,
    library: structure.library,
    level: structure.level,
    top: [],
    setup: [],
    globals: new Set(),
    after: [],
    files: {},
    args: [],
    stdin: "",
    method: p.chance(0.1) ? "forkserver" : "spawn",
    workers: 2,
    data: "DATA",
  };
  const maker = p.weighted(makers.filter((m) => (!structure.library || m.library) && (!m.levels || m.levels.includes(c.level))));
  if (maker.name === "env-forkserver" && p.chance(0.7)) c.method = "forkserver";
  if (c.method === "forkserver") c.families.push("method:forkserver");
  const reader = p.weighted(readers.filter((r) => !r.levels || r.levels.includes(c.level)));
  if (reader.oneWorker) c.workers = 1;
  const body = reader.build(c);

  const dataForm = p.one(["[1, 2, 3]", "range(3)", "[3, 1, 2]"]);
  script.def([`DATA = ${dataForm}`]);
  script.def(["def work(x):", ...indent(body)]);

  let made: Made;
  const files: Record<string, string> = {};
  if (structure.library) {
    made = maker.build(c, "func", "items");
    const runner = [
      ...c.host.headerLines(),
      "",
      ...c.host.defs.flatMap((d) => ["", ...d, ""]),
      "",
      `def run_all(${["func", "items", ...(made.params ?? [])].join(", ")}):`,
      ...indent(made.run),
      ...(made.result ? ["    return res"] : []),
      "",
    ];
    files["pkg/__init__.py"] = "";
    files["pkg/runner.py"] = tidy(runner);
    script.import("from pkg.runner import run_all");
    made = { run: made.result ? ["res = run_all(work, DATA)"] : ["run_all(work, DATA)"], result: made.result };
  } else {
    made = maker.build(c, "work", "DATA");
  }
  extras(c, maker);

  // A maker that leaves its child printing is last: nothing the parent prints may race with it.
  const printed = made.result ? [...made.run, "print(res)", ...c.after] : [...c.after, ...made.run];
  const lines: string[] = [...script.headerLines(), ""];
  lines.push(...c.top, ...(c.top.length ? [""] : []));
  for (const d of script.defs) lines.push("", ...d, "");
  lines.push("");
  const globals = [...c.globals].filter((g) => c.setup.some((l) => new RegExp(`^${g}\\s*=`).test(l)));
  switch (structure.level) {
    case "top":
      lines.push(...c.setup, ...printed);
      break;
    case "function":
      lines.push("def main():", ...(globals.length ? [`    global ${globals.join(", ")}`] : []), ...indent([...c.setup, ...printed]), "", "");
      lines.push('if __name__ == "__main__":', "    main()");
      break;
    default:
      if (structure.name.endsWith("main-run")) {
        lines.push("def main():", ...indent(printed), "", "");
        lines.push('if __name__ == "__main__":', ...indent([...c.setup, "main()"]));
      } else {
        lines.push('if __name__ == "__main__":', ...indent([...c.setup, ...printed]));
      }
  }
  lines.push("");
  c.families.push(`reader:${reader.name}`);
  return {
    seed,
    index,
    files: { ...c.files, ...files, "main.py": tidy(lines) },
    entry: "main.py",
    args: c.args,
    stdin: c.stdin,
    method: c.method,
    families: c.families,
    plain: c.plain,
    hazards: c.hazards,
  };
}

/** Two blank lines between top-level blocks at most, one trailing newline. */
function tidy(lines: string[]): string {
  return (
    lines
      .join("\n")
      .replace(/\n{4,}/g, "\n\n\n")
      .replace(/^\n+/, "")
      .trimEnd() + "\n"
  );
}
