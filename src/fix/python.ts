// Building blocks of Python edits: reaching the multiprocessing module, placing an import,
// placing a statement first in a block, moving statements with their indentation.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "../python/module";
import { insert, type Edit } from "./edits";

/** An expression that names module `module` at module level, and the edits (an import) it needs. */
export function moduleReference(facts: ModuleFacts, module: string, before = Number.POSITIVE_INFINITY): { text: string; edits: Edit[] } {
  const existing = facts.model.moduleReference(module, before);
  if (existing) return { text: existing, edits: [] };
  // A module-level name of the same root (`multiprocessing = ...`, `import numbers as
  // multiprocessing`) would shadow `import multiprocessing`, or be shadowed by it, and the
  // import would be added again on every pass: the module is imported under a name of its own.
  const root = module.split(".")[0];
  // Bindings of the root that are imports of that same module (one in the main guard) do not shadow it.
  const others = facts.model.bindingsIn(facts.model.scopes.module, root).filter((b) => !(b.kind === "import" && b.qname === root && b.node.type === "import_statement"));
  if (others.length === 0) return { text: module, edits: [insertImport(facts, `import ${module}`)] };
  let alias = `${module.replace(/\./g, "_")}_`;
  while (facts.model.isModuleName(alias)) alias += "_";
  return { text: alias, edits: [insertImport(facts, `import ${module} as ${alias}`)] };
}

/** `ref.get_context("spawn")`. */
export function contextExpression(ref: string, method: string): string {
  return `${ref}.get_context("${method}")`;
}

/**
 * An import inserted before the first top-level statement that is not the module docstring
 * or a `from __future__` import: after the shebang, the encoding line and leading comments.
 */
export function insertImport(facts: ModuleFacts, statement: string): Edit {
  const { statements, lines, lineBreak, text } = facts;
  let i = 0;
  if (statements[0] && isDocstring(statements[0])) i = 1;
  while (i < statements.length && isFutureImport(statements[i])) i++;
  const next = statements[i];
  // After a docstring or future import on the same line (`"Doc"; x = 1`): on that line, after it.
  if (next && !lines.startsLine(next.startIndex)) return insert(next.startIndex, `${statement}; `);
  if (next) return insert(lines.lineStart(next.startIndex), statement + lineBreak);
  const atEnd = text.length === 0 || /[\r\n]$/.test(text) ? "" : lineBreak;
  return insert(text.length, atEnd + statement + lineBreak);
}

/**
 * A docstring as CPython sees one (the statement `from __future__` imports may follow): an
 * expression statement that is a str literal, implicitly concatenated (`"Doc " "more"`) or
 * parenthesized (`("Doc")`) or both; not bytes, not an f-string.
 */
export function isDocstring(statement: SyntaxNode): boolean {
  const parts = statement.namedChildren.filter((n) => n.type !== "comment");
  return statement.type === "expression_statement" && parts.length === 1 && isStrLiteral(parts[0]);
}

function isStrLiteral(node: SyntaxNode): boolean {
  const parts = node.namedChildren.filter((n) => n.type !== "comment");
  if (node.type === "parenthesized_expression") return parts.length === 1 && isStrLiteral(parts[0]);
  if (node.type === "concatenated_string") return parts.every(isStrLiteral);
  if (node.type !== "string") return false;
  const prefix = /^[A-Za-z]*/.exec(node.text)![0];
  return !/[bBfFtT]/.test(prefix);
}

function isFutureImport(statement: SyntaxNode): boolean {
  return statement.type === "future_import_statement";
}

/** The statements of a block, comments left out. */
export function blockStatements(block: SyntaxNode): SyntaxNode[] {
  return block.namedChildren.filter((n) => n.type !== "comment");
}

const FREEZE_SUPPORT = /^(\w+\.)*freeze_support\(\s*\)$/;
const SET_START_METHOD = /^(\w+\.)*set_start_method\(/;

/**
 * Where a statement goes to run first in a main guard: after a leading `freeze_support()`
 * (it must stay first for frozen Windows executables) and, with `afterStartMethod`, after
 * the `set_start_method(...)` calls that open the block.
 */
export function guardBodyAnchor(guard: SyntaxNode, afterStartMethod: boolean): SyntaxNode | null {
  const body = guard.childForFieldName("consequence");
  const inside = body ? blockStatements(body) : [];
  let i = 0;
  if (inside[i] && FREEZE_SUPPORT.test(inside[i].text) && inside[i + 1]) i++;
  while (afterStartMethod && inside[i] && SET_START_METHOD.test(inside[i].text) && inside[i + 1]) i++;
  return inside[i] ?? null;
}

/**
 * Puts `statement` (its later lines indented like its first) first in a main guard, after
 * a leading `freeze_support()`.
 */
export function insertFirstInGuard(facts: ModuleFacts, guard: SyntaxNode, statement: string): Edit | null {
  const first = guardBodyAnchor(guard, false);
  if (!first) return null;
  const { lines, lineBreak } = facts;
  if (!lines.startsLine(first.startIndex)) {
    // `if __name__ == "__main__": main()`: the body shares the `if` line.
    return statement.includes("\n") ? null : insert(first.startIndex, `${statement}; `);
  }
  const indent = lines.indentAt(first.startIndex);
  const indented = statement.split(/\r\n|\r|\n/).join(lineBreak + indent);
  return insert(lines.lineStart(first.startIndex), indent + indented + lineBreak);
}

/** Spans of strings that cross lines: their inner line starts must not be re-indented. */
export function multilineStrings(facts: ModuleFacts, within: SyntaxNode[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const statement of within) {
    // A statement on one line holds no string that crosses lines.
    if (statement.startPosition.row === statement.endPosition.row) continue;
    for (const node of statement.descendantsOfType(["string", "concatenated_string"])) {
      if (node.startPosition.row !== node.endPosition.row) spans.push([node.startIndex, node.endIndex]);
    }
  }
  return spans;
}

/**
 * Where the code lines in [from, to) (not blank, not inside a string) begin their indentation:
 * each line's start, or after the form feeds that open it (indentation inserted before a
 * form feed would not count: CPython resets its column count at one).
 */
export function codeLineStarts(facts: ModuleFacts, from: number, to: number, strings: Array<[number, number]>): number[] {
  const { lines, text } = facts;
  return lines
    .lineStartsBetween(from, Math.max(from, to - 1))
    .filter((start) => start >= from && start < to)
    .filter((start) => !strings.some(([s, e]) => s < start && start < e))
    .filter((start) => !/^[ \t\f]*(\r\n|\r|\n|$)/.test(text.slice(start, start + 200)))
    .map((start) => lines.indentStart(start));
}

/** Text of lines [from, to) with `prefix` before every code line. */
export function reindented(facts: ModuleFacts, from: number, to: number, prefix: string, strings: Array<[number, number]>): string {
  const starts = new Set(codeLineStarts(facts, from, to, strings));
  let out = "";
  let last = from;
  for (const start of [...starts].sort((a, b) => a - b)) {
    out += facts.text.slice(last, start) + prefix;
    last = start;
  }
  return out + facts.text.slice(last, to);
}
