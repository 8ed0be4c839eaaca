// Moving a module's top-level process starts under an `if __name__ == "__main__":` guard,
// with the statements that must run after them; definitions and imports stay at module level.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "../python/module";
import { isMainGuard } from "../python/model";
import { isNameRead, readsAsGlobal } from "../python/globals";
import { isNeverImported, type FileInfo } from "../file-info";
import { roleOf } from "../python/bindings";
import { childReadsOfModule } from "../python/crossing";
import { movedSetsUpNothing } from "../python/state";
import { insert, replace, type Edit } from "./edits";
import { codeLineStarts, guardBodyAnchor, isDocstring, multilineStrings, reindented } from "./python";

const GUARD = 'if __name__ == "__main__":';

/**
 * A top-level statement that starts processes at import but cannot move under a guard:
 * a definition (its decorators, default values or class body start them: children must still
 * import it), an import, or a main guard (its `elif`/`else` runs on import).
 */
export function unguardable(statement: SyntaxNode): boolean {
  return isMainGuard(statement) || isDefinitionOrImport(statement);
}

export interface GuardFix {
  edits: Edit[];
  /** "unsafe" when a moved statement may set up what the children read (they no longer run it). */
  applicability: "safe" | "unsafe";
  /** Why it is unsafe (the end of the finding's message), else "". */
  why: string;
}

/**
 * The edits that guard the module's top-level process starts, or null when there are none,
 * they cannot be guarded, or the module's own top level reads a name only a moved statement
 * binds (it would fail at import with NameError).
 */
export function missingGuardFix(module: ModuleFacts, file: FileInfo): GuardFix | null {
  return module.index.memo("missingGuardFix", () => {
    const first = module.startingStatements.size > 0 ? module.statements.find((s) => module.startingStatements.has(s)) : undefined;
    // A package module is imported, not run: a guard would hide its top level from importers.
    const imported = file.packageDir !== null && !file.isMainModule;
    if (!first || imported || isNeverImported(file)) return null;
    if ([...module.startingStatements].some(unguardable)) return null;
    const moved = statementsToGuard(module, first);
    if (readByStayingCode(module, moved) || moved.some(changesImportsOrPlace)) return null;
    const edits = guardFix(module, first, moved);
    if (!edits) return null;
    const setup = moved.find((statement) => setsUpState(module, statement));
    // What the moved code sets up may still be shown unread by the children (src/python/state.ts).
    const reads = setup ? childReadsOfModule(module) : null;
    if (!setup || (reads && module.externalStarts.size === 0 && movedSetsUpNothing(module, moved, reads))) return { edits, applicability: "safe", why: "" };
    const line = module.lines.position(setup.startIndex).line;
    return {
      edits,
      applicability: "unsafe",
      why: `; unsafe fix (applied with --unsafe-fixes): line ${line} (\`${oneLine(setup)}\`) moves under the guard, and spawned children that ran it before no longer do; what it sets up may be what they read`,
    };
  });
}

/** A moved statement's bound name that code staying at module level reads when the module is imported (a NameError after the fix). */
function readByStayingCode(module: ModuleFacts, moved: SyntaxNode[]): boolean {
  const inMoved = (node: SyntaxNode) => {
    // The moved statements are top-level ones, in source order: a binary search.
    let lo = 0;
    let hi = moved.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (moved[mid].endIndex <= node.startIndex) lo = mid + 1;
      else if (moved[mid].startIndex > node.startIndex) hi = mid - 1;
      else return node.endIndex <= moved[mid].endIndex;
    }
    return false;
  };
  const seen = new Set<string>();
  for (const statement of moved) {
    for (const name of boundNames(statement)) {
      if (seen.has(name)) continue;
      seen.add(name);
      for (const id of module.index.identifiers(name)) {
        if (inMoved(id) || module.model.runsAt(id) !== "import" || roleOf(module.index, id).role !== "read") continue;
        // `os.path`, `f(n=...)` and a comprehension's own `n` are not the module's name.
        if (!isNameRead(module.index, id) || module.model.bindingsReaching(id).some((b) => b.scope.kind !== "module")) continue;
        return true;
      }
    }
  }
  return false;
}

/** The names a statement binds at its own level (assignment and loop targets, `with ... as`, walrus). */
function boundNames(statement: SyntaxNode): string[] {
  const names: string[] = [];
  for (const node of [statement, ...statement.descendantsOfType(["assignment", "augmented_assignment", "for_statement", "as_pattern", "named_expression"])]) {
    const target = node.type === "named_expression" ? node.childForFieldName("name") : node.type === "as_pattern" ? node.childForFieldName("alias") : node.childForFieldName("left");
    if (!target) continue;
    if (target.type === "identifier") names.push(target.text);
    else for (const id of target.descendantsOfType("identifier")) if (id.parent?.type !== "attribute" && id.parent?.type !== "subscript") names.push(id.text);
  }
  return names;
}

/**
 * Whether a statement that moves under the guard may set up state spawned children read (they
 * ran it at import before, and fork children inherited its effects): a call of a function
 * other than print, time.sleep and those that make or use processes (`setup()`,
 * `np.random.seed(0)`), a change to a global the module's functions read (`S.scale = 5`,
 * `table[k] = v`), or a name they read, also one bound inside an expression
 * (`print(LIMIT := 5)`). Compound statements are judged by their bodies; what a call's
 * arguments compute is otherwise the parent's own.
 */
function setsUpState(module: ModuleFacts, statement: SyntaxNode): boolean {
  switch (statement.type) {
    case "expression_statement": {
      const expr = statement.namedChildren[0];
      if (!expr) return false;
      // `print(LIMIT := 5)`: a name bound inside the statement is bound only in the parent once it moves.
      if (expr.descendantsOfType("named_expression").length > 0 && boundNames(statement).some((name) => readsAsGlobal(module, name))) return true;
      if (expr.type === "call") return !isProcessCall(module, expr);
      if (/assignment$/.test(expr.type)) return assignmentSetsUp(module, expr);
      return false;
    }
    case "with_statement": case "for_statement": case "while_statement": case "if_statement": case "try_statement": {
      const blocks = statement.descendantsOfType("block").filter((b) => !b.parent || !/^(function_definition|class_definition)$/.test(b.parent.type));
      return blocks.some((block) => block.namedChildren.some((child) => child.type !== "comment" && setsUpState(module, child)))
        || boundNames(statement).some((name) => readsAsGlobal(module, name));
    }
    case "delete_statement":
      return true;
    default:
      return false;
  }
}

function assignmentSetsUp(module: ModuleFacts, assignment: SyntaxNode): boolean {
  const left = assignment.childForFieldName("left");
  if (!left) return false;
  if (left.type === "attribute" || left.type === "subscript") {
    let root = left;
    while (root.type === "attribute" || root.type === "subscript") root = root.namedChildren[0];
    return root.type !== "identifier" || readsAsGlobal(module, root.text);
  }
  return boundNames(assignment.parent ?? assignment).some((name) => readsAsGlobal(module, name));
}

/**
 * A moved statement that changes how the module's own imports resolve or where its files are
 * (`sys.path.insert(...)`, `os.chdir(...)`, `os.environ[...] = ...`): imports and code that
 * stay at module level would run without it.
 */
function changesImportsOrPlace(statement: SyntaxNode): boolean {
  return /\bsys\.path\b|\bos\.chdir\b|\bos\.environ\b|\bsite\.addsitedir\b/.test(statement.text);
}

/** A call that makes, starts or uses processes, pools and their results (nothing the children read). */
function isProcessCall(module: ModuleFacts, call: SyntaxNode): boolean {
  if (module.sites.some((s) => s.node.id === call.id) || module.starts.calls.has(call.id) || module.externalStarts.has(call.id)) return true;
  const callee = call.childForFieldName("function");
  const method = callee?.type === "attribute" ? callee.childForFieldName("attribute")?.text : callee?.text;
  return /^(start|join|close|terminate|map|imap|imap_unordered|starmap|apply|apply_async|map_async|starmap_async|submit|result|get|wait|put|print|sorted|list|sum|len|range|shutdown)$/.test(method ?? "");
}

function oneLine(node: SyntaxNode): string {
  const text = node.text.replace(/\s+/g, " ");
  return text.length > 50 ? text.slice(0, 47) + "..." : text;
}

/**
 * Which top-level statements go under the guard: from the first process start on, every
 * statement but definitions and imports (children must import those) and assignments that
 * module functions read as globals and that depend on nothing the guard computes (workers
 * started later saw them under fork, and under spawn see them only at module level).
 * Before the first start only `print(...)` calls move, which children would otherwise
 * repeat: any other call may set up state the workers need, and a top-level
 * `set_start_method` is moved by SPS104 once the guard exists.
 */
function statementsToGuard(module: ModuleFacts, first: SyntaxNode): SyntaxNode[] {
  const firstIndex = module.statements.indexOf(first);
  const globalsRead = (name: string) => readsAsGlobal(module, name);
  const computedInGuard = new Set<string>();
  const moved: SyntaxNode[] = [];
  module.statements.forEach((statement, i) => {
    if (isMainGuard(statement) || isDefinitionOrImport(statement)) return;
    // `global X` at module level does nothing, and under the guard it would follow X's binding (SyntaxError).
    if (statement.type === "global_statement") return;
    if (i === 0 && isDocstring(statement)) return;
    if (module.startMethodCalls.some((c) => c.topLevelStatement?.id === statement.id)) return;
    if (i < firstIndex) {
      if (isPrint(statement)) moved.push(statement);
      return;
    }
    if (i > firstIndex && isGlobalSetup(statement, globalsRead, computedInGuard)) return;
    moved.push(statement);
    for (const id of identifiers(statement)) computedInGuard.add(id);
  });
  return moved;
}

function isPrint(statement: SyntaxNode): boolean {
  const call = statement.type === "expression_statement" ? statement.namedChildren[0] : null;
  return call?.type === "call" && call.childForFieldName("function")?.text === "print";
}

/** `FACTOR = 3` that a worker reads, computed from nothing the guard makes. */
function isGlobalSetup(statement: SyntaxNode, globalsRead: (name: string) => boolean, computedInGuard: Set<string>): boolean {
  const assignment = statement.type === "expression_statement" ? statement.namedChildren[0] : null;
  if (assignment?.type !== "assignment") return false;
  const left = assignment.childForFieldName("left");
  const right = assignment.childForFieldName("right");
  if (left?.type !== "identifier" || !right || identifiers(right).some((id) => computedInGuard.has(id))) return false;
  return globalsRead(left.text);
}

function identifiers(node: SyntaxNode): string[] {
  return node.descendantsOfType("identifier").map((n) => n.text);
}

function isDefinitionOrImport(statement: SyntaxNode): boolean {
  return /^(function_definition|class_definition|decorated_definition|import_statement|import_from_statement|future_import_statement)$/.test(statement.type);
}

/** Consecutive runs of guarded statements, with nothing that stays between them. */
function runs(module: ModuleFacts, moved: SyntaxNode[]): SyntaxNode[][] {
  const result: SyntaxNode[][] = [];
  const index = (s: SyntaxNode) => module.statements.indexOf(s);
  for (const statement of moved) {
    const last = result[result.length - 1];
    if (last && index(last[last.length - 1]) === index(statement) - 1) last.push(statement);
    else result.push([statement]);
  }
  return result;
}

interface Span {
  start: number;
  end: number;
  statements: SyntaxNode[];
}

function guardFix(module: ModuleFacts, first: SyntaxNode, moved: SyntaxNode[]): Edit[] | null {
  const { lines } = module;
  const groups = runs(module, moved);
  // A run of guarded statements must own its lines: `x = 1; pool = Pool()` cannot be split
  // safely. Statements of one run may share lines (`p.start(); p.join()`): they move together.
  for (const run of groups) {
    const last = run[run.length - 1];
    if (!lines.startsLine(run[0].startIndex)) return null;
    const rest = module.text.slice(last.endIndex, lines.lineEnd(last.endIndex));
    if (!/^[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?$/.test(rest)) return null;
  }
  const spans: Span[] = groups.map((run) => ({
    start: lines.lineStart(run[0].startIndex),
    end: lines.lineEnd(run[run.length - 1].endIndex),
    statements: run,
  }));
  const strings = multilineStrings(module, moved);
  const guards = module.mainGuards;
  if (guards.length === 0) return newGuard(module, spans, strings);
  // Each run joins the guard that follows it, first in its body: it still runs after the
  // guards above it and before that guard's own code. Runs below the last guard go last in
  // it. Where a guard cannot take them (its body shares the `if` line; an `else` branch
  // after which nothing can be appended), they get a guard of their own where they stand.
  const edits: Edit[] = [];
  const byGuard = new Map<SyntaxNode | null, Span[]>();
  for (const span of spans) {
    const next = guards.find((g) => g.startIndex >= span.end) ?? null;
    byGuard.set(next, [...(byGuard.get(next) ?? []), span]);
  }
  for (const [guard, group] of byGuard) {
    const merged = guard ? prependToGuard(module, guard, group, strings) : appendToGuard(module, guards[guards.length - 1], group, strings);
    edits.push(...(merged ?? newGuard(module, group, strings)));
  }
  return edits;
}

/** A new guard where the last run stands; earlier runs move into it, in order. */
function newGuard(module: ModuleFacts, spans: Span[], strings: Array<[number, number]>): Edit[] {
  const unit = module.indentUnit;
  const last = spans[spans.length - 1];
  const edits: Edit[] = [];
  let head = GUARD + module.lineBreak;
  for (const span of spans.slice(0, -1)) {
    head += withLineBreak(module, reindented(module, span.start, span.end, unit, strings));
    edits.push(replace(span.start, span.end, ""));
  }
  edits.push(insert(last.start, head));
  edits.push(...indentInPlace(module, last, unit, strings));
  return edits;
}

/** The indentation of a guard's body, when its body stands on lines of its own. */
function bodyIndent(module: ModuleFacts, guard: SyntaxNode): { anchor: SyntaxNode; indent: string } | null {
  const anchor = guardBodyAnchor(guard, true);
  if (!anchor || !module.lines.startsLine(anchor.startIndex)) return null;
  return { anchor, indent: module.lines.indentAt(anchor.startIndex) };
}

/** Runs above a guard go first in its body (after its leading `set_start_method`), in order. */
function prependToGuard(module: ModuleFacts, guard: SyntaxNode, spans: Span[], strings: Array<[number, number]>): Edit[] | null {
  const body = bodyIndent(module, guard);
  if (!body) return null;
  const edits: Edit[] = [];
  let before = "";
  for (const span of spans) {
    before += withLineBreak(module, reindented(module, span.start, span.end, body.indent, strings));
    edits.push(replace(span.start, span.end, ""));
  }
  edits.push(insert(module.lines.lineStart(body.anchor.startIndex), before));
  return edits;
}

/** Runs below the last guard go last in its body, in order. */
function appendToGuard(module: ModuleFacts, guard: SyntaxNode, spans: Span[], strings: Array<[number, number]>): Edit[] | null {
  const body = bodyIndent(module, guard);
  if (!body || guard.childForFieldName("alternative")) return null;
  const { indent } = body;
  const guardEnd = module.lines.lineEnd(guard.endIndex);
  const edits: Edit[] = [];
  let after = "";
  for (const span of spans) {
    if (onlyBlankOrComments(module, guardEnd, span.start)) {
      edits.push(...indentInPlace(module, span, indent, strings));
    } else {
      after += withLineBreak(module, reindented(module, span.start, span.end, indent, strings));
      edits.push(replace(span.start, span.end, ""));
    }
  }
  if (after) {
    const endsWithBreak = /[\r\n]$/.test(module.text.slice(0, guardEnd));
    edits.push(insert(guardEnd, (endsWithBreak ? "" : module.lineBreak) + after));
  }
  return edits;
}

function indentInPlace(module: ModuleFacts, span: Span, prefix: string, strings: Array<[number, number]>): Edit[] {
  return codeLineStarts(module, span.start, span.end, strings).map((start) => insert(start, prefix));
}

function withLineBreak(module: ModuleFacts, text: string): string {
  return /[\r\n]$/.test(text) ? text : text + module.lineBreak;
}

function onlyBlankOrComments(module: ModuleFacts, from: number, to: number): boolean {
  return from <= to && /^(\s|#[^\r\n]*)*$/.test(module.text.slice(from, to));
}
