// A library's switch to spawn holds only for the programs that run it: under spawn each of
// their children imports the program again as `__mp_main__`. When a program of the project
// reaches a library's creation sites and what its children would re-run is not proved
// harmless (a top-level start its guard fix does not move, `input()`, `os.mkdir(...)`), the
// library's switch unit is held back with that reason, in `check` and `fix` alike. And the
// other way: a program's guard is part of the switch of the processes it starts; when neither
// its own switch nor that of any library it reaches goes in, its guard is held back too.
import type { FileResult } from "../engine";
import type { UnitBlock } from "../options";
import { transforms } from "../../transforms/registry";
import { THROUGH_PROJECT, defaultStartMethod } from "../../transforms/default-start-method";
import { UNSAFE } from "../fix/units";
import { containsWord } from "../python/gate";

const SWITCH = new Set(transforms.filter((t) => t.unit === "switch").map((t) => t.code));
const GUARD = new Set(transforms.filter((t) => t.unit === "guard").map((t) => t.code));
const PROGRAM_WIDE = new Set(transforms.filter((t) => t.programWide).map((t) => t.code));
/** The program's own start-method switch (default-start-method). */
const START_METHOD = new Set([defaultStartMethod.code]);

/** A finding whose fix `fix` applies, or would: applied already, or safe. */
const goesIn = (f: FileResult["findings"][number]) => f.fixed || f.applicability === "safe";

/** The results (by index) whose switch unit a program of the project holds back, with why. */
export function heldBackByPrograms(results: Array<FileResult | undefined>): Map<number, UnitBlock> {
  const byPath = indexByPath(results);
  const blocks = new Map<number, UnitBlock>();
  for (const program of results) {
    const why = program?.program?.unproved[0];
    if (!program?.program || why === undefined) continue;
    for (const path of reachedFrom(program, results, byPath)) {
      const i = byPath.get(path);
      if (i === undefined || blocks.has(i) || results[i] === program) continue;
      if (!results[i]!.findings.some((f) => SWITCH.has(f.code) && f.applicability === "safe")) continue;
      blocks.set(i, { obligation: "bootstrap", reason: `\`${program.path}\` runs it, and there ${why}` });
    }
  }
  return blocks;
}

/**
 * The programs (by index) whose guard fixes are held back: they reach other modules' sites, and
 * neither their own switch nor any reached module's goes in, so the guard would be a unit applied
 * in part. Called once the libraries' holds are settled.
 */
export function guardsHeldBack(results: Array<FileResult | undefined>): Map<number, UnitBlock> {
  const byPath = indexByPath(results);
  const blocks = new Map<number, UnitBlock>();
  results.forEach((program, i) => {
    if (!program?.program) return;
    if (!program.findings.some((f) => GUARD.has(f.code) && goesIn(f))) return;
    if (program.findings.some((f) => SWITCH.has(f.code) && goesIn(f))) return;
    // A reached module outside this run (checked alone: `check main.py`) is not judged here:
    // the guard keeps its own applicability, as in a run of the whole project.
    const served = reachedFrom(program, results, byPath).some((path) => {
      const j = byPath.get(path);
      return j === undefined || results[j]!.findings.some((f) => SWITCH.has(f.code) && goesIn(f));
    });
    if (served) return;
    const reached = (program.reaches ?? []).join(", ");
    blocks.set(i, { obligation: "whole", reason: `the guard belongs to the switch of the processes it starts (in ${reached}), which is not applied` });
  });
  return blocks;
}

/**
 * A run over some of a project's files (pre-commit passes the changed ones): a library's switch
 * holds only for the programs that run it, and a program outside the run is not seen. The
 * results (by index) of libraries with a switch that goes in while a project file outside the
 * run names the library's module (its last or first name part) are held back.
 */
export function heldBackOutsideRun(
  results: Array<FileResult | undefined>,
  moduleOf: (i: number) => string | null,
  outside: (i: number) => Array<{ path: string; text: string }>,
): Map<number, UnitBlock> {
  const blocks = new Map<number, UnitBlock>();
  results.forEach((r, i) => {
    if (!r || r.decision?.role !== "library" || !r.findings.some((f) => SWITCH.has(f.code) && goesIn(f))) return;
    const module = moduleOf(i);
    if (!module) return;
    const parts = module.split(".");
    const names = [...new Set([parts[0], parts[parts.length - 1]])];
    const reader = outside(i).find((f) => names.some((n) => new RegExp(`\\b${n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(f.text)));
    if (reader) {
      blocks.set(i, { obligation: "bootstrap", reason: `\`${reader.path}\`, outside the paths given, may run it, and its programs are not proved here (check the whole project)` });
    }
  });
  return blocks;
}

/**
 * A program that sets the start method for processes other modules make: its finding carries
 * their verdict, by name. Where a reached module's own switch does not go in, its first reason;
 * where every one does, that the processes get their context there already.
 */
export function carryVerdicts(results: Array<FileResult | undefined>): void {
  const byPath = indexByPath(results);
  for (const program of results) {
    if (!program?.program) continue;
    for (const finding of program.findings) {
      if (!finding.message.endsWith(THROUGH_PROJECT)) continue;
      const reaches = program.reaches ?? [];
      const reached = reaches.map((path) => results[byPath.get(path) ?? -1]).filter((r): r is FileResult => !!r);
      const open = reached.flatMap((r) => r.findings.filter((f) => SWITCH.has(f.code) && !goesIn(f)).map((f) => ({ r, f })))[0];
      const carried = open
        ? `the processes are made in ${open.r.path}, and its line ${open.f.line} (${open.f.code}) is not proved: ${open.f.message.split(UNSAFE)[1] ?? /; (not fixed.*)$/.exec(open.f.message)?.[1] ?? "it is reported without a fix"}`
        : reached.length === reaches.length && reached.length > 0
          ? `the processes are made in ${reached.map((r) => r.path).join(", ")}, whose own fixes give them a spawn context; this one would also move what else the program makes on the default context`
          : null;
      if (carried) finding.message = finding.message.slice(0, -THROUGH_PROJECT.length) + carried;
    }
  }
}

/**
 * The results (by index) whose safe fixes change the whole program (Transform.programWide: a
 * library's `set_start_method` removed) while another module of the run makes processes: those
 * would move back to the default start method, and their own switch is not part of this file's.
 */
export function programWideHeldBack(results: Array<FileResult | undefined>): Map<number, UnitBlock> {
  const blocks = new Map<number, UnitBlock>();
  const makers = results.filter((r) => r && ((r.starts?.length ?? 0) > 0 || r.findings.some((f) => SWITCH.has(f.code) && !PROGRAM_WIDE.has(f.code))));
  results.forEach((r, i) => {
    if (!r?.findings.some((f) => PROGRAM_WIDE.has(f.code) && goesIn(f))) return;
    const other = makers.find((m) => m !== r);
    if (other) blocks.set(i, { obligation: "whole", reason: `removing it also moves the processes made in ${other.path} back to the default start method, and their switch is not part of this file's` });
  });
  return blocks;
}

/**
 * The programs (by index) whose own start-method switch goes in while it would also move
 * processes they start through other modules whose switch does not (src/python/process-starts.ts
 * chains): those would move to spawn unproved. A reached module whose switch goes in gives its
 * processes their own context, which the start method does not change.
 */
export function startMethodHeldBack(results: Array<FileResult | undefined>): Map<number, UnitBlock> {
  const byPath = indexByPath(results);
  const blocks = new Map<number, UnitBlock>();
  results.forEach((program, i) => {
    if (!program?.reaches?.length || !program.findings.some((f) => START_METHOD.has(f.code) && goesIn(f))) return;
    for (const path of reachedFrom(program, results, byPath)) {
      const reached = results[byPath.get(path) ?? -1];
      if (reached === program) continue;
      if (!reached) {
        blocks.set(i, { obligation: "whole", reason: `the start method also moves the processes made in ${path}, which this run does not check` });
        return;
      }
      const open = reached.findings.find((f) => SWITCH.has(f.code) && !goesIn(f));
      if (open) {
        blocks.set(i, { obligation: "whole", reason: `the start method also moves the processes made in ${reached.path}, whose line ${open.line} (${open.code}) is not proved` });
        return;
      }
    }
  });
  return blocks;
}

/**
 * The library results (by index) whose switch no program of the project is seen to run. Its
 * bootstrap obligation is on the programs that import it: with none of them in the project (a
 * script, a `__main__`, a module with a main guard or a console script, a test run by a test
 * runner), they are programs nobody has shown, and one that makes the pool from an unguarded top
 * level would fail under spawn where it works under fork (the third survey drove two libraries so).
 * Asked of the libraries of projects that publish their packages (src/run-files.ts).
 * `isProgram` tells whether a result's file can be run as a program.
 */
export function unreachedLibraries(results: Array<FileResult | undefined>, isProgram: (i: number) => boolean): Map<number, UnitBlock> {
  const byPath = indexByPath(results);
  const reached = new Set<string>();
  results.forEach((r, i) => {
    if (!r || !isProgram(i)) return;
    reached.add(r.path);
    for (const path of reachedFrom(r, results, byPath)) reached.add(path);
  });
  const blocks = new Map<number, UnitBlock>();
  results.forEach((r, i) => {
    // A library that makes only queues and locks starts no process whose children re-run a program.
    if (!r || r.decision?.role !== "library" || reached.has(r.path) || !(r.starts ?? []).some((s) => s.direct)) return;
    if (!r.findings.some((f) => SWITCH.has(f.code) && goesIn(f) && !PROGRAM_WIDE.has(f.code))) return;
    blocks.set(i, { obligation: "bootstrap", reason: "no program of the project is seen to run it (a script, a console script, a test): the programs that import it are not known, and one that runs it from an unguarded top level would fail under spawn" });
  });
  return blocks;
}

/**
 * Every file whose processes a program starts: the ends of its chains, and theirs in turn (a
 * chain shows one shortest path: `run()` makes a Process in stage.py and, through `Shared()`,
 * a Manager in shared.py).
 */
function reachedFrom(program: FileResult, results: Array<FileResult | undefined>, byPath: Map<string, number>): string[] {
  const reached = new Set<string>(program.reaches ?? []);
  for (const path of reached) {
    for (const next of results[byPath.get(path) ?? -1]?.reaches ?? []) reached.add(next);
  }
  return [...reached];
}

/** Each result's index by its path as shown. */
function indexByPath(results: Array<FileResult | undefined>): Map<string, number> {
  const byPath = new Map<string, number>();
  results.forEach((r, i) => r && byPath.set(r.path, i));
  return byPath;
}

/**
 * The libraries (by index) whose switch waits only on obligations deferred to their functions'
 * parameters (src/python/deferred.ts), with the functions every caller proves them for: each
 * file of the run that names the function reports its uses (FileResult.projectCalls), every
 * use is a call that passes each deferred parameter an argument proving what it needs, there
 * is at least one, and no project file outside the run names it. A file that names it and was
 * not analysed, a use as a value, `*args`, a default left to the function: not proved.
 */
export function dischargedByCallers(
  results: Array<FileResult | undefined>,
  textOf: (i: number) => string | null,
  outside: (i: number) => Array<{ path: string; text: string }>,
): Map<number, string[]> {
  const found = new Map<number, string[]>();
  const waiting = results.map((r) => (r?.deferred && r.findings.some((f) => SWITCH.has(f.code) && f.fixable && !goesIn(f)) ? r.deferred : []));
  const nameOf = (qname: string) => qname.slice(qname.lastIndexOf(".") + 1);
  const names = new Set(waiting.flat().map((fn) => nameOf(fn.function)));
  if (names.size === 0) return found;
  // The files that name each function, each file read once: the run's, and the unread ones as unknown.
  const mentions = new Map<string, Set<number>>([...names].map((n) => [n, new Set<number>()]));
  const words = new RegExp(`(?<![\\w])(${[...names].join("|")})(?![\\w])`, "g");
  results.forEach((_, j) => {
    const text = textOf(j);
    if (text === null) for (const n of names) mentions.get(n)!.add(j);
    else for (const m of text.matchAll(words)) mentions.get(m[1])!.add(j);
  });
  waiting.forEach((deferred, i) => {
    const proved = deferred.filter((fn) => {
      const name = nameOf(fn.function);
      if (outside(i).some((f) => containsWord(f.text, name))) return false;
      let calls = 0;
      // Its own module's uses too (a program that defines the function and calls it).
      for (const j of mentions.get(name)!) {
        const uses = results[j]?.projectCalls;
        if (!uses) return false;
        // Every use by that name counts: a re-export (`from pkg import run_all`) is named otherwise.
        for (const use of uses.filter((u) => u.function === `?${name}` || u.function.endsWith(`.${name}`))) {
          if (use.open !== "") return false;
          for (const param of fn.params) {
            const arg = use.args.find((a) => a.keyword === param.name) ?? (param.position < 0 ? undefined : use.args.find((a) => a.position === param.position));
            if (!arg || param.needs.some((need) => arg[need] !== "")) return false;
          }
          calls++;
        }
      }
      return calls > 0;
    });
    if (proved.length > 0) found.set(i, proved.map((fn) => fn.function));
  });
  return found;
}
