// Facts about every definition of a module, read with one tree cursor and kept as offsets.
// Each node object node-tree-sitter makes costs a native cache entry (a weak reference and a
// finalizer) besides the object: about 500 bytes and a microsecond, more than the parse spends
// on the node. A module of 330k small functions made six of them per function in `check` (1.7
// GB); a cursor makes none, so what is asked of every definition is read through one.
import type { SyntaxNode } from "../parse";
import { type SourceIndex, isWordChar, lowerBound, skipBlanks } from "./source-index";

export interface Outline {
  /** Where the top-level statements start (comments left out), in source order. */
  statements: number[];
  /** Where the top-level `while` loops start. */
  loops: number[];
  /** The bodies of the top-level functions and classes (decorated ones too): start, end, start, end... (see inBodies). */
  bodies: number[];
  /**
   * Where the top-level functions start whose definition runs nothing at import: undecorated,
   * no `=` before their body (so no default value; a function has no bases).
   */
  inert: number[];
  /** Where the undecorated top-level functions and classes start (at their `def`, `async` or `class`). */
  definitions: number[];
}

// Offsets in arrays of numbers, not pairs or sets: a large module has hundreds of thousands of definitions.

/** Whether `at` falls in one of the outline's bodies. */
export function inBodies(outline: Outline, at: number): boolean {
  const { bodies } = outline;
  let lo = 0;
  let hi = (bodies.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (at < bodies[2 * mid]) hi = mid - 1;
    else if (at >= bodies[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Whether the sorted `starts` (Outline's inert, definitions) hold `at`. */
export function holds(starts: readonly number[], at: number): boolean {
  const i = lowerBound(starts, at);
  return i < starts.length && starts[i] === at;
}

/** Module-level statements that are always named nodes (a `;` between statements is not). */
const NAMED = new Set(["function_definition", "class_definition", "decorated_definition", "while_statement"]);

/**
 * The module's outline, worked out once per module: one walk of its top-level statements,
 * a few steps of the cursor each (every step costs about a microsecond).
 */
export function outlineOf(index: SourceIndex): Outline {
  return index.memo("outline", () => {
    const outline: Outline = { statements: [], loops: [], bodies: [], inert: [], definitions: [] };
    const cursor = index.root.walk();
    const { text } = index;
    // The first `=` at or after the statement looked at (2^32 - 1 for none): searched again only once passed, so the text is read once.
    let equals = -1;
    if (!cursor.gotoFirstChild()) return outline;
    do {
      const type = cursor.nodeType;
      if (type === "comment" || (!NAMED.has(type) && !cursor.nodeIsNamed)) continue;
      const start = cursor.startIndex;
      outline.statements.push(start);
      if (type === "while_statement") outline.loops.push(start);
      else if (type === "decorated_definition") {
        if (childField(cursor, "definition")) {
          const inner = cursor.nodeType;
          if ((inner === "function_definition" || inner === "class_definition") && lastChildField(cursor, "body")) {
            outline.bodies.push(cursor.startIndex, cursor.endIndex);
            cursor.gotoParent();
          }
          cursor.gotoParent();
        }
      } else if (type === "function_definition" || type === "class_definition") {
        outline.definitions.push(start);
        if (!lastChildField(cursor, "body")) continue;
        const body = cursor.startIndex;
        outline.bodies.push(body, cursor.endIndex);
        cursor.gotoParent();
        if (equals < start) equals = text.indexOf("=", start) >>> 0;
        if (type === "function_definition" && equals >= body) outline.inert.push(start);
      }
    } while (cursor.gotoNextSibling());
    return outline;
  });
}

/** The top-level statement that starts at `at` (one of Outline's), made a node. */
export function statementStartingAt(index: SourceIndex, at: number): SyntaxNode {
  return index.topLevelStatementOf(index.root.descendantForIndex(at, at + 1))!;
}

/**
 * Moves the cursor to the current node's child in `field` when it is its last child (a
 * definition's body is, but for a comment after it): else to its first child in `field`; false
 * (the cursor where it was) when it has none.
 */
function lastChildField(cursor: ReturnType<SyntaxNode["walk"]>, field: string): boolean {
  if (!cursor.gotoLastChild()) return false;
  if (cursor.currentFieldName === field) return true;
  cursor.gotoParent();
  return childField(cursor, field);
}

/** Moves the cursor to the current node's first child in `field`; false (the cursor where it was) when it has none. */
function childField(cursor: ReturnType<SyntaxNode["walk"]>, field: string): boolean {
  if (!cursor.gotoFirstChild()) return false;
  do {
    if (cursor.currentFieldName === field) return true;
  } while (cursor.gotoNextSibling());
  cursor.gotoParent();
  return false;
}

/**
 * The names of the module's functions (`def`) or classes (`class`), at any depth, in source
 * order: each found at its keyword (a word the tree confirms is the keyword of a definition),
 * as SourceIndex.keywords and the definition's `name` field would find it.
 */
export function definitionNames(index: SourceIndex, keyword: "def" | "class"): string[] {
  const type = keyword === "def" ? "function_definition" : "class_definition";
  const names: string[] = [];
  const { definitions } = outlineOf(index);
  const { text } = index;
  const cursor = index.root.walk();
  for (const at of index.words.positions(keyword)) {
    // A top-level definition that starts at its keyword: its name is the ASCII word after it (one of other letters is the tree's to tell).
    if (holds(definitions, at)) {
      const from = skipBlanks(text, at + keyword.length);
      let end = from;
      while (end < text.length && isAsciiWordChar(text.charCodeAt(end))) end++;
      if (end > from && !isWordChar(text.charCodeAt(end))) {
        names.push(text.slice(from, end));
        continue;
      }
    }
    while (cursor.gotoParent());
    let parent = "";
    while (cursor.gotoFirstChildForIndex(at) !== null) {
      if (cursor.startIndex > at) break;
      if (cursor.nodeType === keyword && cursor.startIndex === at && cursor.endIndex === at + keyword.length) {
        if (parent === type && cursor.gotoParent()) names.push(childField(cursor, "name") ? index.text.slice(cursor.startIndex, cursor.endIndex) : "");
        break;
      }
      parent = cursor.nodeType;
    }
  }
  return names;
}

function isAsciiWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}
