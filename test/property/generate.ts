// Random Python programs that touch multiprocessing in many shapes, for the property test
// (test/property/check.ts). Seeded and reproducible: program `index` of seed `seed` is always
// the same text. Each program is built from blocks (header, imports, definitions, setup,
// process starts, a main guard with its branches, code after it), placed in varied orders,
// then written out with a chosen indentation (spaces of some width, tabs), line ending (LF,
// CRLF, lone CR), form feeds and comments.
//
// A "runnable" program is meant to run under python3 and print the same thing every time
// (pools of 1-2 workers, sorted results, no pids or timings); whether it really runs is
// found by running it. The others only need to compile (or not: what CPython rejects is
// skipped by the property, as the README promises such files are left alone).

/** mulberry32: a small, fast, seeded generator. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Program {
  seed: number;
  index: number;
  /** The file's text. */
  text: string;
  /** The file: its text in the codec its cookie names (UTF-8 without one). */
  bytes: Buffer;
  /** Meant to run and print deterministic output. */
  runnable: boolean;
  /** The shapes it was built from, for telling failures apart. */
  features: string[];
}

/**
 * One line of a block: its indentation level and text (without indentation or line break).
 * Level -1: a line inside a multi-line string, written as it is.
 */
type Line = [level: number, text: string];

class Picker {
  constructor(private readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  one<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** How the program reaches multiprocessing. */
interface Api {
  features: string[];
  importLines: string[];
  pool: (n: number) => string;
  process: (target: string, args: string) => string;
  executor: ((n: number) => string) | null;
}

function chooseApi(p: Picker): Api {
  const style = p.int(0, 5);
  switch (style) {
    case 0:
      return { features: ["import-mp-as"], importLines: ["import multiprocessing as mp"], pool: (n) => `mp.Pool(${n})`, process: (t, a) => `mp.Process(target=${t}, args=${a})`, executor: null };
    case 1:
      return {
        features: ["import-mp"],
        importLines: ["import multiprocessing"],
        pool: (n) => `multiprocessing.Pool(${n})`,
        process: (t, a) => `multiprocessing.Process(target=${t}, args=${a})`,
        executor: null,
      };
    case 2:
      return { features: ["from-mp-import"], importLines: ["from multiprocessing import Pool, Process"], pool: (n) => `Pool(${n})`, process: (t, a) => `Process(target=${t}, args=${a})`, executor: null };
    case 3:
      return {
        features: ["from-mp-import-as"],
        importLines: ["from multiprocessing import Pool as P, Process as Proc"],
        pool: (n) => `P(${n})`,
        process: (t, a) => `Proc(target=${t}, args=${a})`,
        executor: null,
      };
    case 4:
      return {
        features: ["concurrent-futures-as"],
        importLines: ["import concurrent.futures as cf", "import multiprocessing"],
        pool: (n) => `multiprocessing.Pool(${n})`,
        process: (t, a) => `multiprocessing.Process(target=${t}, args=${a})`,
        executor: (n) => `cf.ProcessPoolExecutor(${n})`,
      };
    default:
      return {
        features: ["from-concurrent-futures"],
        importLines: ["from concurrent.futures import ProcessPoolExecutor", "import multiprocessing as mp"],
        pool: (n) => `mp.Pool(${n})`,
        process: (t, a) => `mp.Process(target=${t}, args=${a})`,
        executor: (n) => `ProcessPoolExecutor(${n})`,
      };
  }
}

/** A piece of code that starts processes, and prints what they computed. */
function startBlock(p: Picker, api: Api, label: string, features: string[]): Line[] {
  const n = p.int(1, 2);
  const data = p.one(["range(3)", "[1, 2]", "[3, 1, 2]", "range(2)"]);
  const forms = api.executor ? 5 : 4;
  switch (p.int(0, forms - 1)) {
    case 0:
      features.push("start-with-pool");
      if (p.chance(0.2)) {
        features.push("multiline-string");
        return [
          [0, `with ${api.pool(n)} as pool:`],
          [1, `print("""${label}`],
          [-1, "  inside the string"],
          [-1, `end""", sorted(pool.map(work, ${data})))`],
        ];
      }
      return [
        [0, `with ${api.pool(n)} as pool:`],
        [1, `print("${label}§", sorted(pool.map(work, ${data})))`],
      ];
    case 1:
      features.push("start-pool-assign");
      return [
        [0, `pool_${label} = ${api.pool(n)}`],
        [0, `print("${label}§", sorted(pool_${label}.map(work, ${data})))`],
        [0, `pool_${label}.close()`],
        [0, `pool_${label}.join()`],
      ];
    case 2:
      features.push("start-process");
      return [
        [0, `proc_${label} = ${api.process("show", `("${label}",)`)}`],
        [0, `proc_${label}.start()`],
        [0, `proc_${label}.join()`],
        [0, `print("${label}§", proc_${label}.exitcode)`],
      ];
    case 3:
      features.push("start-loop");
      return [
        [0, `for size in (1, ${n}):`],
        [1, `with ${api.pool(1)} as pool:`],
        [2, `print("${label}§", size, sorted(pool.map(work, ${data})))`],
      ];
    default:
      features.push("start-executor");
      return [
        [0, `with ${api.executor!(n)} as ex:`],
        [1, `print("${label}§", sorted(ex.map(work, ${data})))`],
      ];
  }
}

/**
 * Setup after a first top-level start, that later code reads when the module is imported (a
 * default value, a class body, a decorator argument) or that workers read (a class attribute
 * set from outside, a table filled in a loop), and a second start that uses it.
 */
function lateSetup(p: Picker, api: Api, features: string[]): Line[] {
  const lines: Line[] = [[0, ""]];
  const kind = p.int(0, 3);
  if (kind === 0) {
    features.push("late-default");
    lines.push([0, "LATE = 2"], [0, ""], [0, "def late_top(xs, n=LATE):"], [1, "return sorted(xs)[:n]"], [0, ""], [0, 'print("late", late_top([3, 1, 2]))']);
  } else if (kind === 1) {
    features.push("late-class-body");
    lines.push([0, "LATE = 2"], [0, ""], [0, "class Late:"], [1, "size = LATE"], [0, ""], [0, 'print("late", Late.size)']);
  } else if (kind === 2) {
    features.push("late-class-attribute");
    lines.push([0, "class Scale:"], [1, "factor = 2"], [0, ""], [0, "def scaled(x):"], [1, "return x * Scale.factor"], [0, ""], [0, "Scale.factor = 5"]);
    lines.push([0, `with ${api.pool(1)} as pool2:`], [1, 'print("late", sorted(pool2.map(scaled, [1, 2])))']);
  } else {
    features.push("late-table");
    lines.push([0, "LATE_TABLE = {}"], [0, "for _k in range(3):"], [1, "LATE_TABLE[_k] = _k + 100"], [0, ""], [0, "def lookup(x):"], [1, "return LATE_TABLE.get(x, -1)"], [0, ""]);
    lines.push([0, `with ${api.pool(1)} as pool2:`], [1, 'print("late", sorted(pool2.map(lookup, [0, 2])))']);
  }
  return lines;
}

function indentBy(lines: Line[], by: number): Line[] {
  return lines.map(([l, t]) => [l < 0 ? l : l + by, t]);
}

/** Generates program `index` of `seed`. */
export function generate(seed: number, index: number): Program {
  const p = new Picker(random((seed * 1000003) ^ index));
  const features: string[] = [];
  const api = chooseApi(p);
  features.push(...api.features);

  // Header: shebang, coding cookie, comments, docstring, __future__.
  const header: Line[] = [];
  if (p.chance(0.15)) header.push([0, "#!/usr/bin/env python3"]);
  // The file's encoding, and the characters outside ASCII its strings and comments hold (§ marks where).
  const codec = p.chance(0.12) ? p.one(Object.keys(PALETTES)) : "utf-8";
  const palette = codec !== "utf-8" ? Object.keys(PALETTES[codec]).join("") : p.chance(0.15) ? "é日本" : "";
  if (codec !== "utf-8") (features.push(`encoding-${codec}`), header.push([0, `# -*- coding: ${codec} -*-`]));
  else if (p.chance(0.15)) {
    features.push("cookie");
    header.push([0, p.one(["# -*- coding: utf-8 -*-", "# coding=latin-1", "# vim: set fileencoding=utf-8 :"])]);
  }
  if (palette && codec === "utf-8") features.push("non-ascii");
  if (p.chance(0.2)) header.push([0, "# A generated program."]);
  const docstring = p.int(0, 6);
  if (docstring === 1) header.push([0, '"""Docstring§."""']);
  else if (docstring === 2) (features.push("doc-concatenated"), header.push([0, '"Doc " "more"']));
  else if (docstring === 3) (features.push("doc-parenthesized"), header.push([0, '("Doc")']));
  else if (docstring === 4) (features.push("doc-multiline"), header.push([0, '"""Doc'], [-1, "more."], [-1, '"""']));
  const future = p.chance(0.25);
  if (future) (features.push("future"), header.push([0, "from __future__ import annotations"]));

  // Where the multiprocessing import goes.
  const importAt = p.chance(0.8) ? "top" : p.one(["guard", "bottom", "after-defs"]);
  if (importAt !== "top") features.push(`import-${importAt}`);
  const importLines: Line[] = api.importLines.map((l) => [0, l]);
  const otherImports: Line[] = p.chance(0.3) ? [[0, p.one(["import os", "import sys", "import functools"])]] : [];

  // Globals the workers read, and setup the workers depend on.
  const globals: Line[] = [];
  const useFactor = p.chance(0.35);
  if (useFactor) (features.push("global-factor"), globals.push([0, `FACTOR = ${p.int(2, 4)}`]));
  const useTable = p.chance(0.15);
  if (useTable) (features.push("global-table"), globals.push([0, "TABLE = {}"], [0, "for _i in range(5):"], [1, "TABLE[_i] = _i * 10"]));
  const useLimit = p.chance(0.2);
  if (useLimit) (features.push("global-limit"), globals.push([0, "LIMIT = 3"]));

  // Definitions.
  const defs: Line[] = [];
  const body = useTable ? "TABLE.get(x, x) * 2" : useFactor ? "x * FACTOR" : "x * 2";
  defs.push([0, "def work(x):"], [1, `return ${body}`]);
  defs.push([0, ""], [0, "def show(label):"], [1, 'print("child", label, flush=True)']);
  if (useLimit && p.chance(0.5)) (features.push("default-reads-global"), defs.push([0, ""], [0, "def top(xs, n=LIMIT):"], [1, "return sorted(xs)[:n]"]));
  if (p.chance(0.15)) (features.push("class-body"), defs.push([0, ""], [0, "class Settings:"], [1, useLimit ? "limit = LIMIT" : "scale = 2"]));
  if (useLimit && p.chance(0.2)) {
    features.push("decorator-reads-global");
    defs.push([0, ""], [0, "def tag(n):"], [1, "def wrap(f):"], [2, "f.tag = n"], [2, "return f"], [1, "return wrap"], [0, ""], [0, "@tag(LIMIT)"], [0, "def tagged():"], [1, "return tagged.tag"]);
  }
  if (p.chance(0.05)) (features.push("default-creates-pool"), defs.push([0, ""], [0, `def with_pool(pool=${api.pool(1)}):`], [1, "return pool"]));
  if (p.chance(0.04)) {
    features.push("decorator-creates-pool");
    defs.push([0, ""], [0, "def keep(pool):"], [1, "def wrap(f):"], [2, "f.pool = pool"], [2, "return f"], [1, "return wrap"], [0, ""], [0, `@keep(${api.pool(1)})`], [0, "def decorated():"], [1, "return 1"]);
  }

  // A function that starts processes, called from the top level or the guard.
  const starter = p.chance(0.25);
  const starterDef: Line[] = [];
  if (starter) {
    features.push("starter-function");
    starterDef.push([0, ""], [0, "def run():"]);
    if (importAt === "after-defs" && p.chance(0.3)) starterDef.push([1, api.importLines[api.importLines.length - 1]]);
    starterDef.push(...indentBy(startBlock(p, api, "run", features), 1));
  }

  // Top-level code before the guard.
  const before: Line[] = [];
  if (p.chance(0.3)) (features.push("print-before"), before.push([0, 'print("start")']));
  const unguardedStarts = p.chance(0.35) ? p.int(1, 2) : 0;
  for (let k = 0; k < unguardedStarts; k++) {
    features.push("start-top-level");
    if (k > 0) before.push([0, ""]);
    before.push(...startBlock(p, api, `top${k}`, features));
    if (k === 0 && p.chance(0.4)) before.push(...lateSetup(p, api, features));
  }
  if (starter && p.chance(0.5)) (features.push("call-top-level"), before.push([0, "run()"]));
  // A module-level `global` statement (a no-op there) before the assignment it names, which a function reads.
  if (unguardedStarts > 0 && p.chance(0.15)) {
    features.push("module-global-stmt");
    before.push([0, "global COUNT"], [0, "COUNT = 7"]);
    defs.push([0, ""], [0, "def count():"], [1, "return COUNT"]);
  }

  // Something starts processes, somewhere.
  const guardLikely = p.chance(0.75);
  if (!guardLikely && unguardedStarts === 0 && !before.some(([, t]) => t === "run()")) {
    features.push("start-top-level");
    before.push(...startBlock(p, api, "top", features));
  }

  // The main guard.
  const guard: Line[] = [];
  const hasGuard = guardLikely;
  if (hasGuard) {
    features.push("guard");
    const head = p.one(['if __name__ == "__main__":', "if __name__ == '__main__':", 'if "__main__" == __name__:', 'if (__name__ == "__main__"):']);
    const inside: Line[] = [];
    if (importAt === "guard") inside.push(...importLines.map(([, t]): Line => [0, t]));
    if (p.chance(0.3)) inside.push([0, 'print("main")']);
    if (starter && !before.some(([, t]) => t === "run()")) inside.push([0, "run()"]);
    if (p.chance(0.6) || inside.length === 0) inside.push(...startBlock(p, api, "guard", features));
    if (useLimit && defs.some(([, t]) => t.startsWith("def top"))) inside.push([0, "print(top([3, 1, 2]))"]);
    if (p.chance(0.1) && inside.length === 1 && inside[0][1].length < 40) {
      features.push("one-line-guard");
      guard.push([0, `${head} ${inside[0][1]}`]);
    } else {
      guard.push([0, head], ...indentBy(inside, 1));
    }
    const branch = p.int(0, 9);
    if (branch === 0) (features.push("guard-else"), guard.push([0, "else:"], [1, 'print("imported")']));
    if (branch === 1) (features.push("guard-elif-else"), guard.push([0, "elif False:"], [1, "pass"], [0, "else:"], [1, 'print("imported")']));
    if (branch === 2) (features.push("guard-elif-only"), guard.push([0, "elif True:"], [1, 'print("elif")']));
  }

  // Top-level code after the guard: prints, and pieces of code that start processes.
  const after: Line[] = [];
  if (p.chance(0.2)) (features.push("print-after"), after.push([0, 'print("after")']));
  const afterStarts = p.chance(0.3) ? p.int(1, 2) : 0;
  for (let k = 0; k < afterStarts; k++) {
    features.push(afterStarts === 2 ? "two-starts-after-guard" : "start-after-guard");
    after.push([0, ""], ...startBlock(p, api, `after${k}`, features));
  }
  if (p.chance(0.1)) (features.push("setup-after"), after.push([0, "FACTOR_SET = 1"]));
  // A module-level name that shadows the module's root, where the program does not use it by that name.
  if (!api.features.includes("import-mp") && !api.features.includes("concurrent-futures-as") && p.chance(0.06)) {
    features.push("shadow-root");
    globals.push([0, p.one(["multiprocessing = 3", "import numbers as multiprocessing"])]);
  }

  // Assemble, in an order that imports before use (or not, for the shapes that say so).
  const blank: Line[] = [[0, ""]];
  const parts: Line[][] = [header];
  if (importAt === "top") parts.push(importLines);
  parts.push(otherImports, blank, globals, blank, defs);
  if (importAt === "after-defs") parts.push(blank, importLines);
  parts.push(starterDef, blank, before, blank);
  // "bottom": below all the code, just above the guard (functions read the name when called).
  if (importAt === "bottom") parts.push(importLines, blank);
  parts.push(guard, after);
  const lines = parts.flat();

  // Layout: one indentation for the program, or another one for its function bodies.
  const units = ["    ", "    ", "  ", "\t", "        "];
  const unit = p.one(units);
  if (unit === "\t") features.push("tabs");
  else if (unit !== "    ") features.push(`indent-${unit.length}`);
  const defUnit = p.chance(0.15) ? p.one(units) : unit;
  if (defUnit !== unit) features.push("mixed-indentation");
  const inDefs = new Set<Line>([...defs, ...starterDef]);
  const eol = p.one(["\n", "\n", "\n", "\r\n", "\r"]);
  if (eol === "\r\n") features.push("crlf");
  if (eol === "\r") features.push("lone-cr");
  const formFeeds = p.chance(0.1);
  if (formFeeds) features.push("form-feed");
  const comments = p.chance(0.2);
  if (comments) features.push("comments");
  const out: string[] = [];
  for (const entry of lines) {
    const [level, text] = entry;
    let line = text === "" || level < 0 ? text : (inDefs.has(entry) ? defUnit : unit).repeat(level) + text;
    if (formFeeds && level === 0 && text !== "" && p.chance(0.15)) line = "\f" + line;
    if (comments && level >= 0 && text !== "" && !text.includes('"""') && text !== "more." && p.chance(0.1)) line += "  # note§";
    out.push(line);
  }
  if (comments) out.splice(p.int(0, out.length), 0, "# a comment line");
  let textOut = out.join(eol) + eol;
  textOut = textOut.replace(new RegExp(`(${escape(eol)}){3,}`, "g"), eol + eol);
  if (p.chance(0.1)) (features.push("no-final-newline"), (textOut = textOut.replace(/[\r\n]+$/, "")));
  // latin-1 was named by a cookie above without a palette: only ASCII then.
  textOut = textOut.replace(/§/g, codec === "utf-8" && header.some(([, t]) => t.includes("latin-1")) ? "" : palette);
  const runnable = !features.includes("default-creates-pool") && !features.includes("decorator-creates-pool");
  return { seed, index, text: textOut, bytes: encode(textOut, codec), runnable, features: [...new Set(features)].sort() };
}

/**
 * Characters each codec writes in the programs' strings and comments, and their bytes in it
 * (from CPython's codecs): multi-byte characters whose trail byte is 0x5C (`\`) in shift_jis,
 * cp932, big5 and gbk; a double quote inside iso2022_jp's JIS bytes (written between ESC $ B
 * and ESC ( B).
 */
const PALETTES: Record<string, Record<string, string>> = {
  shift_jis: { ソ: "835c", 表: "955c", 能: "945c", 予: "975c" },
  cp932: { ソ: "835c", 表: "955c", 能: "945c", "∵": "81e6" },
  big5: { 許: "b35c", 功: "a55c", 么: "a45c" },
  gbk: { 乗: "815c", 俓: "825c", 中: "d6d0" },
  gb18030: { 乗: "815c", 中: "d6d0", "€": "a2e3" },
  euc_jp: { あ: "a4a2", 日: "c6fc", 本: "cbdc" },
  iso2022_jp: { あ: "2422", ぇ: "2427", 日: "467c" },
  euc_kr: { 한: "c7d1", 국: "b1b9" },
  cp949: { 갂: "8141", 한: "c7d1" },
  koi8_r: { П: "f0", р: "d2", и: "c9", в: "d7", е: "c5", т: "d4" },
  "latin-1": { é: "e9", ü: "fc" },
  cp1252: { é: "e9", "€": "80" },
};

/** The program's bytes in `codec`: ASCII as is, the palette's characters with their bytes. */
function encode(text: string, codec: string): Buffer {
  if (codec === "utf-8") return Buffer.from(text, "utf8");
  const table = PALETTES[codec];
  const parts: Buffer[] = [];
  // iso2022_jp: a run of JIS characters goes between ESC $ B and ESC ( B.
  for (const run of text.match(/[\x00-\x7f]+|[^\x00-\x7f]+/g) ?? []) {
    if (/^[\x00-\x7f]/.test(run)) parts.push(Buffer.from(run, "latin1"));
    else {
      const bytes = Buffer.concat([...run].map((c) => Buffer.from(table[c], "hex")));
      parts.push(codec === "iso2022_jp" ? Buffer.concat([Buffer.from("1b2442", "hex"), bytes, Buffer.from("1b2842", "hex")]) : bytes);
    }
  }
  return Buffer.concat(parts);
}

function escape(s: string): string {
  return s.replace(/[\r\n]/g, (c) => (c === "\r" ? "\\r" : "\\n"));
}
