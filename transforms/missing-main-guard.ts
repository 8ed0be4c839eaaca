// SPS101: processes started at module top level, with no main guard around them.
import { defineTransform, type CheckContext } from "../src/transform";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";
import { isMainGuard } from "../src/python/module";
import { namesReadAsGlobals } from "../src/python/globals";
import { crossFileChain } from "../src/python/chain";
import { insert, replace, type Edit } from "../src/fix/edits";
import { codeLineStarts, guardBodyAnchor, isDocstring, multilineStrings, reindented } from "../src/fix/python";

const GUARD = 'if __name__ == "__main__":';

export const missingMainGuard = defineTransform({
  code: "SPS101",
  name: "missing-main-guard",
  summary: "Processes started at module top level without an `if __name__ == \"__main__\":` guard",
  fix: "sometimes",
  check(context) {
    const { module } = context;
    const first = module.statements.find((s) => module.startingStatements.has(s));
    if (!first) return;
    // A package module is imported, not run: a guard would hide its top level from importers.
    const imported = context.file.packageDir !== null && !context.file.isMainModule;
    const chain = crossFileChain(module, first, context.file.path);
    context.report({
      node: first,
      message: `Processes are started at module top level${chain ? ` (${chain})` : ""}; under spawn every child re-runs this line. Move it under \`if __name__ == "__main__":\``,
      fix: imported ? null : guardFix(context, first),
    });
  },
});

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
  const globalsRead = namesReadAsGlobals(module);
  const computedInGuard = new Set<string>();
  const moved: SyntaxNode[] = [];
  module.statements.forEach((statement, i) => {
    if (isMainGuard(statement) || isDefinitionOrImport(statement)) return;
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
function isGlobalSetup(statement: SyntaxNode, globalsRead: Set<string>, computedInGuard: Set<string>): boolean {
  const assignment = statement.type === "expression_statement" ? statement.namedChildren[0] : null;
  if (assignment?.type !== "assignment") return false;
  const left = assignment.childForFieldName("left");
  const right = assignment.childForFieldName("right");
  if (left?.type !== "identifier" || !right || !globalsRead.has(left.text)) return false;
  return !identifiers(right).some((id) => computedInGuard.has(id));
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

function guardFix(context: CheckContext, first: SyntaxNode): Edit[] | null {
  const { module } = context;
  const moved = statementsToGuard(module, first);
  const { lines } = module;
  // A guarded statement must own its lines: `x = 1; pool = Pool()` cannot be split safely.
  for (const statement of moved) {
    if (!lines.startsLine(statement.startIndex)) return null;
    const rest = module.text.slice(statement.endIndex, lines.lineEnd(statement.endIndex));
    if (!/^[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?$/.test(rest)) return null;
  }
  const spans: Span[] = runs(module, moved).map((run) => ({
    start: lines.lineStart(run[0].startIndex),
    end: lines.lineEnd(run[run.length - 1].endIndex),
    statements: run,
  }));
  const strings = multilineStrings(module, moved);
  const guards = module.mainGuards;
  const guard = guards[guards.length - 1];
  return guard ? mergeIntoGuard(module, guard, spans, strings) : newGuard(module, spans, strings);
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

/** Runs before an existing guard go first in its body, runs after it last, in order. */
function mergeIntoGuard(module: ModuleFacts, guard: SyntaxNode, spans: Span[], strings: Array<[number, number]>): Edit[] | null {
  const anchor = guardBodyAnchor(guard, true);
  const { lines } = module;
  if (!anchor || !lines.startsLine(anchor.startIndex)) return null;
  if (guard.childForFieldName("alternative")) return null;
  const indent = lines.indentAt(anchor.startIndex);
  const bodyStart = lines.lineStart(anchor.startIndex);
  const guardEnd = lines.lineEnd(guard.endIndex);
  const edits: Edit[] = [];
  let before = "";
  let after = "";
  for (const span of spans) {
    if (span.end <= guard.startIndex) {
      before += withLineBreak(module, reindented(module, span.start, span.end, indent, strings));
      edits.push(replace(span.start, span.end, ""));
    } else if (onlyBlankOrComments(module, guardEnd, span.start)) {
      edits.push(...indentInPlace(module, span, indent, strings));
    } else {
      after += withLineBreak(module, reindented(module, span.start, span.end, indent, strings));
      edits.push(replace(span.start, span.end, ""));
    }
  }
  if (before) edits.push(insert(bodyStart, before));
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
