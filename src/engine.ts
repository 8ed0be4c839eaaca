// One file through the pipeline: bytes -> text -> tree -> facts -> findings with edits ->
// applied text, repeated until no fix applies, re-parsed before anything is written.
import { DecodeError, decodeSource, encodeSource, firstSyntaxError, python2Statement, isDecodable, type Encoding } from "./parse";
import { analyzeModule, NO_CONTEXT, type ModuleContext, type ModuleFacts } from "./python/module";
import { chainFile } from "./python/process-starts";
import { LineIndex } from "./python/line-index";
import { WordIndex } from "./python/words";
import { mayHaveFindings, mentionsApi, namesApi, projectMatters } from "./python/gate";
import { directStarts, moduleAliases, type DirectStart } from "./python/module-summary";
import { decideRole, type Decision } from "./role";
import { applyEdits, backMap, chooseFixes, type Applicability, type Edit } from "./fix/edits";
import { isNotebook, isPythonKernel, notebookSource } from "./notebook";
import { transforms, unusedSuppression } from "../transforms/registry";
import { entryFunctionNames, isNeverImported, type FileInfo } from "./file-info";
import { reportsOf, type CheckContext, type Transform } from "./transform";
import type { Hazard } from "./hazards";
import type { Options, UnitBlock } from "./options";
import { silences, suppressionsOf, type Suppression } from "./suppressions";
import { skipsOf, type Skip } from "./skips";
import { programBootstrap, settleSwitchUnit } from "./fix/units";
import { projectStateWrite } from "./python/crossing";
import { UNKEPT, type TreeSource } from "./trees";
import { deferredFunctions, projectCalls, type DeferredFunction, type ProjectCall } from "./python/deferred";

export interface Finding {
  code: string;
  name: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** A fix exists for it. */
  fixable: boolean;
  /** The fix's applicability ("safe" is applied by `fix`, "unsafe" only with --unsafe-fixes); null without a fix. */
  applicability: Applicability | null;
  /** `fix` applied that fix. */
  fixed: boolean;
  /** In a notebook: the cell (its ordinal among all cells) and the line and column in it. */
  cell?: { number: number; line: number; column: number };
}

export interface FileError {
  message: string;
  line: number;
  column: number;
}

export interface FileResult {
  path: string;
  decision: Decision | null;
  findings: Finding[];
  error: FileError | null;
  /** The original text and the fixed text (equal when nothing changed). */
  before: string;
  after: string;
  /** Bytes to write, when the file changed. */
  output: Buffer | null;
  /** How many passes applied fixes. */
  passes: number;
  /** The module's functions that create processes themselves (for the project model). */
  starts?: DirectStart[];
  /** Its module-level names bound to other modules' names (for the project model's re-exports). */
  aliases?: Record<string, string>;
  /**
   * The file's error may be CPython's to tell (src/judge.ts), which compiles the original:
   * "unparsed", tree-sitter could not parse it (`error` says where): a syntax error if CPython
   * rejects it too, else a form spawnsafe's parser misses; "failed", a fix went wrong (a
   * spawnsafe bug, unless CPython rejects the original: then it was broken to begin with).
   * Such a result is not cached.
   */
  askCPython?: "unparsed" | "failed";
  /** Why code that would get a fix was left as it is (src/skips.ts); absent when nothing was. */
  skipped?: Skip[];
  /**
   * A program that starts processes through other project modules (the files are `reaches`):
   * why what its spawned children re-run on import is not proved harmless (empty when it is).
   * Another module's switch to spawn holds only when it is (src/run-files.ts).
   */
  program?: { unproved: string[] };
  /** The files where the processes its calls into other modules start are made (each chain's end). */
  reaches?: string[];
  /** Functions of this module whose sites are unknown only through their parameters (src/python/deferred.ts). */
  deferred?: DeferredFunction[];
  /** The uses of the project's process-starting functions here, with what their arguments prove. */
  projectCalls?: ProjectCall[];
}

/**
 * ruff gives up after 100 passes, ESLint after 10; spawnsafe's fixes settle in two or three
 * (a guard, then the start method inside it). More means fixes that undo each other: a bug.
 */
const MAX_PASSES = 10;

const NOT_RELEVANT: Decision = { role: "none", reason: "does not mention multiprocessing" };

interface Pending {
  transform: Transform;
  finding: Finding;
  edits: Edit[] | null;
  /** Where its node starts in the text it was found in: with the code, its identity across passes. */
  start: number;
}

/**
 * `context` is what the project tells about the module (src/project/project.ts): the package
 * its relative imports resolve against, and the project's functions that start processes.
 * `trees` gives each text's tree: one the run parsed already (src/trees.ts), else a new parse.
 */
export function processFile(file: FileInfo, bytes: Buffer, options: Options, applyFixes: boolean, context: ModuleContext = NO_CONTEXT, trees: TreeSource = UNKEPT): FileResult {
  if (isNotebook(file.path)) return checkNotebook(file, bytes, options);
  const result: FileResult = { path: file.path, decision: null, findings: [], error: null, before: "", after: "", output: null, passes: 0 };
  // Most files of a tree never name the API: checked on the bytes, without decoding them
  // (unless the project has names that lead to the API or start processes: src/python/gate.ts).
  if (!projectMatters(context) && !mentionsApi(bytes) && isDecodable(bytes)) {
    result.decision = NOT_RELEVANT;
    return result;
  }
  let text: string;
  let encoding: Encoding;
  try {
    ({ text, encoding } = decodeSource(bytes));
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    result.error = { message: err.message, line: err.line, column: err.column };
    return result;
  }
  result.before = result.after = text;
  // Only a project with names to follow needs every word of the text; the API's words are found by a string search.
  const words = projectMatters(context) ? new WordIndex(text) : undefined;
  if (!mayHaveFindings(text, context, words)) {
    result.decision = NOT_RELEVANT;
    return result;
  }
  let tree = trees.parse(text);
  const error = firstSyntaxError(tree) ?? python2Statement(tree, text);
  if (error && !namesApi(text)) {
    // Parsed only in case its top level calls a project function that starts processes; it
    // names no API itself. tree-sitter's grammar misses a few rare forms CPython accepts, so
    // a parse error here is no proof of a broken file: left alone, not reported.
    result.decision = { role: "none", reason: "could not be parsed to look for calls to the project's process-starting functions; names no multiprocessing API itself" };
    return result;
  }
  if (error) {
    const at = new LineIndex(text).position(error.startIndex);
    result.error = { message: `syntax error: ${error.isMissing ? `missing ${error.type}` : "invalid syntax"}`, line: at.line, column: at.column };
    result.askCPython = "unparsed";
    return result;
  }
  let module = analyzeModule(text, tree, context, words);
  result.decision = decideRole(module, file, options);
  if (file.project?.module) {
    result.starts = directStarts(module.model, module.sites, module.starts, file.project.module, file.path, (i) => module.lines.position(i).line);
    result.aliases = moduleAliases(module.model);
  }
  // The role is the file's, decided once on its original text: every pass is judged with it.
  const decision = result.decision;
  // Nothing keeps the first pass's facts once the rewrite's are made (its pending list goes with `pending`).
  let { pending, block: carried } = findingsOf(module, file, options, decision);
  if (module.externalStarts.size > 0) {
    const reaches = [...module.externalStarts.values()].map((e) => chainFile(e.chain)).filter((p): p is string => !!p);
    result.reaches = [...new Set(reaches)];
  }
  if (result.decision.role === "app" && result.reaches && !isNeverImported(file)) {
    const proof = programBootstrap(pending, module, options);
    const write = projectStateWrite(module);
    const line = write ? module.lines.position(write.startIndex).line : 0;
    const writes = write ? [`it changes another module's state at run time (line ${line}, \`${write.text.split("\n")[0].slice(0, 50)}\`), which a spawned child imports afresh`] : [];
    result.program = { unproved: [...(proof.verdict === "proved" ? [] : [proof.reason]), ...writes] };
  }
  result.findings = pending.map((p) => p.finding);
  // A file whose hazards hold its switch back has nothing its callers could prove for it.
  Object.assign(result, callerFacts(module, file, pending.some((p) => p.transform.hazard && p.finding.applicability === null)));
  if (!applyFixes) return withSkips(result, module, options, file);
  // The switch unit's verdict on the original text (`carried`) holds for every pass (src/fix/units.ts).

  const fixed: Finding[] = [];
  // Findings of later passes point into intermediate text: report them where check does. A
  // finding is the original one of its code at the same place of the original text (traced back
  // through every pass's edits); one whose node a fix wrote (moved code) is matched by its wording.
  const original = [...pending];
  let toOriginal = (index: number): number | null => index;
  const where = (p: Pending): Finding => {
    const at = toOriginal(p.start);
    let i = at === null ? -1 : original.findIndex((o) => o.finding.code === p.finding.code && o.start === at);
    if (i < 0) i = original.findIndex((o) => o.finding.code === p.finding.code && o.finding.message === p.finding.message);
    if (i < 0) return p.finding;
    const [{ finding: o }] = original.splice(i, 1);
    return { ...p.finding, line: o.line, column: o.column, endLine: o.endLine, endColumn: o.endColumn };
  };
  for (let pass = 1; ; pass++) {
    const chosen = chooseFixes(pending.filter((p) => p.edits && applies(p.finding, options)).map((p) => ({ ...p, edits: p.edits! })));
    if (chosen.length === 0) break;
    if (pass > MAX_PASSES) {
      result.error = { message: `fixes did not settle after ${MAX_PASSES} passes (a spawnsafe bug); file left untouched`, line: 1, column: 1 };
      result.askCPython = "failed";
      result.after = result.before;
      return result;
    }
    const edits = chosen.flatMap((c) => c.edits);
    const previous = module.text;
    const next = applyEdits(previous, edits);
    // One pass's facts at a time: the last pass's go before the rewrite is parsed and its facts are made (on a 12 MB module, hundreds of MB).
    module = undefined as unknown as ModuleFacts;
    // tree-sitter reads again only what the edits touch.
    const nextTree = trees.reparse(previous, tree, next, edits);
    const broken = firstSyntaxError(nextTree);
    if (broken) {
      const codes = [...new Set(chosen.map((c) => c.finding.code))].join(", ");
      result.error = { message: `a fix (${codes}) produced invalid Python (a spawnsafe bug); file left untouched`, line: 1, column: 1 };
      result.askCPython = "failed";
      result.after = result.before;
      return result;
    }
    fixed.push(...chosen.map((c) => ({ ...where(c), fixed: true })));
    const back = backMap(edits);
    const before = toOriginal;
    toOriginal = (index) => {
      const at = back(index);
      return at === null ? null : before(at);
    };
    tree = nextTree;
    module = analyzeModule(next, nextTree, context);
    pending = findingsOf(module, file, options, decision, carried).pending;
    result.passes = pass;
  }
  // A unit is applied whole: when some of its fixes went in and others of it are still
  // pending, the file is fixed again with the whole unit held back.
  // (A guard alone in a program that starts other modules' processes may serve their switch:
  // that is settled across the project, src/project/programs.ts.)
  const unitOf = (code: string) => transforms.find((t) => t.code === code)?.unit;
  const partial = fixed.some((f) => unitOf(f.code) === "switch") || (fixed.some((f) => unitOf(f.code) === "guard") && module.externalStarts.size === 0);
  if (!options.unitBlock && partial && pending.some((p) => p.transform.unit === "switch")) {
    const rest = pending.find((p) => p.transform.unit === "switch")!.finding;
    return processFile(file, bytes, { ...options, unitBlock: { obligation: "whole", reason: `the switch could not be applied whole: line ${rest.line} (${rest.code}) would stay as it is` } }, applyFixes, context, trees);
  }
  result.after = module.text;
  result.findings = [...fixed, ...pending.map((p) => p.finding)];
  if (result.after !== result.before) {
    try {
      result.output = encodeSource(result.after, encoding);
    } catch (err) {
      // The fixed text cannot be written back byte for byte in the file's codec: left untouched.
      if (!(err instanceof DecodeError)) throw err;
      result.error = { message: err.message, line: err.line, column: err.column };
      result.after = result.before;
      result.findings = result.findings.map((f) => ({ ...f, fixed: false }));
    }
  }
  return withSkips(result, module, options, file);
}

/**
 * What the project needs to prove a site's obligations on its function's parameters at the
 * function's calls: the deferred functions (only where no package is published: code outside
 * the project may call them), and this file's calls of the project's starting functions.
 */
function callerFacts(module: ModuleFacts, file: FileInfo, held: boolean): Pick<FileResult, "deferred" | "projectCalls"> {
  const facts: Pick<FileResult, "deferred" | "projectCalls"> = {};
  if (!file.project || file.project.published) return facts;
  const deferred = held ? [] : deferredFunctions(module);
  if (deferred.length > 0) facts.deferred = deferred;
  if (deferred.length > 0 || Object.keys((module.model.project as ModuleContext).startingFunctions ?? {}).length > 0) {
    facts.projectCalls = projectCalls(module, file.isMainModule, deferred.map((d) => d.function));
  }
  return facts;
}

/** The codes of the findings that speak of the `set_start_method` call on their line (src/skips.ts). */
const SPEAKS_OF_CALL = new Set(transforms.filter((t) => t.speaksOfStartMethodCall).map((t) => t.code));

function withSkips(result: FileResult, module: ModuleFacts, options: Options, file: FileInfo): FileResult {
  const spoken = new Set(result.findings.filter((f) => SPEAKS_OF_CALL.has(f.code)).map((f) => f.line));
  const skipped = skipsOf(module, result.decision!, options, spoken, new Set(entryFunctionNames(file)));
  if (skipped.length > 0) result.skipped = skipped;
  return result;
}

function findingsOf(module: ModuleFacts, file: FileInfo, options: Options, decision: Decision, carried: UnitBlock | null = null): { pending: Pending[]; block: UnitBlock | null } {
  const suppressions = suppressionsOf(module);
  const hazards = hazardsOf({ module, file, options, decision, hazards: [] }, suppressions);
  const pending: Pending[] = [];
  const silenced: Finding[] = [];
  const finding = (transform: Transform, startIndex: number, endIndex: number, message: string, edits: Edit[] | null, applicability: Applicability = "safe"): Pending => {
    const start = module.lines.position(startIndex);
    const end = module.lines.position(endIndex);
    return {
      transform,
      edits,
      start: startIndex,
      finding: {
        code: transform.code,
        name: transform.name,
        message,
        line: start.line,
        column: start.column,
        endLine: end.line,
        endColumn: end.column,
        fixable: edits !== null,
        applicability: edits !== null ? applicability : null,
        fixed: false,
      },
    };
  };
  for (const transform of transforms) {
    if (options.ignore?.includes(transform.code)) continue;
    for (const { node, message, fix, applicability } of reportsOf(transform, { module, file, options, decision, hazards: transform.hazard ? [] : hazards })) {
      const f = finding(transform, node.startIndex, node.endIndex, message, fix, applicability);
      if (!suppress(suppressions, f.finding)) pending.push(f);
      else if (transform.unit === "switch" && fix) silenced.push(f.finding);
    }
  }
  for (const s of suppressions.values()) {
    if (options.ignore?.includes(unusedSuppression.code)) break;
    // A code switched off by configuration has nothing to silence: not an unused suppression.
    const unused = s.codes.size === 0 ? (s.used.size === 0 ? ["all"] : []) : [...s.codes].filter((c) => !s.used.has(c) && !options.ignore?.includes(c));
    if (unused.length === 0) continue;
    const what = unused[0] === "all" ? "finding" : unused.join(", ");
    pending.push(finding(unusedSuppression, s.start, s.end, `This suppression silences no ${what} on its line; remove it`, null));
  }
  const block = isNotebook(file.path) ? null : settleSwitchUnit(pending, { module, file, options, decision, silenced }, carried ?? options.unitBlock ?? null);
  pending.sort((a, b) => a.finding.line - b.finding.line || a.finding.column - b.finding.column || a.finding.code.localeCompare(b.finding.code));
  return { pending, block };
}

/**
 * The findings of the hazard transforms (Transform.hazard) that have no fix and that neither
 * a suppression on their line nor the configuration silences, by line. Notebooks have none: they are never
 * fixed, and their lines are the joined cells'.
 */
function hazardsOf(context: Omit<CheckContext, "report">, suppressions: Map<number, Suppression>): Hazard[] {
  if (isNotebook(context.file.path)) return [];
  const hazards: Hazard[] = [];
  for (const transform of transforms) {
    if (!transform.hazard || context.options.ignore?.includes(transform.code)) continue;
    for (const { node, fix } of reportsOf(transform, context)) {
      // A hazard its own fix removes in this pass is no hazard for the next.
      if (fix) continue;
      const line = context.module.lines.position(node.startIndex).line;
      if (!silences(suppressions, line, transform.code)) hazards.push({ code: transform.code, line });
    }
  }
  return hazards.sort((a, b) => a.line - b.line);
}

/** A fix `fix` applies: a safe one, or an unsafe one with --unsafe-fixes. */
function applies(finding: Finding, options: Options): boolean {
  return finding.applicability === "safe" || (finding.applicability === "unsafe" && options.unsafeFixes === true);
}

/** True when a suppression on the finding's line silences it (and marks that use). */
function suppress(suppressions: Map<number, Suppression>, f: Finding): boolean {
  if (!silences(suppressions, f.line, f.code)) return false;
  suppressions.get(f.line)!.used.add(f.code);
  return true;
}

/**
 * A Jupyter notebook: its code cells checked as one module (magics blanked, cells that are
 * not Python left out). Findings only: spawnsafe never writes a notebook, so none is fixable.
 * Each finding points at the .ipynb line of its code when Jupyter's one-string-a-line layout
 * shows it (else at the cell's ordinal) and its message starts with `cell N, line L:`.
 */
function checkNotebook(file: FileInfo, bytes: Buffer, options: Options): FileResult {
  const result: FileResult = { path: file.path, decision: null, findings: [], error: null, before: "", after: "", output: null, passes: 0 };
  let source;
  try {
    source = notebookSource(bytes.toString("utf8"));
  } catch (err) {
    result.error = { message: `not a readable notebook: ${(err as Error).message}`, line: 1, column: 1 };
    return result;
  }
  if (source.language !== null && !isPythonKernel(source.language)) {
    result.decision = { role: "none", reason: `a notebook of another language (${source.language})` };
    result.skipped = [{ line: 1, column: 1, reason: `skipped: the notebook's kernel language is ${source.language}, not Python` }];
    return result;
  }
  if (!mayHaveFindings(source.text, NO_CONTEXT)) {
    result.decision = { role: "none", reason: "does not mention multiprocessing" };
    return result;
  }
  const module = analyzeModule(source.text, undefined, NO_CONTEXT);
  result.decision = decideRole(module, file, options);
  result.findings = findingsOf(module, file, options, result.decision).pending.map(({ finding }) => {
    const from = source.origins[finding.line - 1];
    const to = source.origins[finding.endLine - 1];
    if (!from) return { ...finding, fixable: false, applicability: null };
    return {
      ...finding,
      message: `cell ${from.cell}, line ${from.line}: ${finding.message}`,
      // Lines of the .ipynb file; the cell and the line in it are said apart.
      line: from.fileLine ?? 1,
      endLine: Math.max(to?.fileLine ?? from.fileLine ?? 1, from.fileLine ?? 1),
      fixable: false,
      applicability: null,
      cell: { number: from.cell, line: from.line, column: finding.column },
    };
  });
  return result;
}
