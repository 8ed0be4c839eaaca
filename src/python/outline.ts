// Facts about every definition of a module, read with one tree cursor and kept as offsets.
// Each node object node-tree-sitter makes costs a native cache entry (a weak reference and a
// finalizer) besides the object: about 500 bytes and a microsecond, more than the parse spends
// on the node. A module of 330k small functions made six of them per function in `check` (1.7
// GB); a cursor makes none, so what is asked of every definition is read through one.
import type { SyntaxNode } from "../parse";
import type { SourceIndex } from "./source-index";

export interface Outline {
  /** Where the top-level statements start (comments left out), in source order. */
  statements: number[];
  /** Where the top-level `while` loops start. */
  loops: number[];
  /** The bodies of the top-level functions and classes (decorated ones too), as [start, end). */
  bodies: Array<[number, number]>;
  /**
   * Where the top-level functions start whose definition runs nothing at import: undecorated,
   * no `=` in their parameters (so no default value; a function has no bases).
   */
  inert: Set<number>;
}

/** The module's outline, worked out once per module (one walk of its top-level statements). */
export function outlineOf(index: SourceIndex): Outline {
  return index.memo("outline", () => {
    const outline: Outline = { statements: [], loops: [], bodies: [], inert: new Set() };
    const cursor = index.root.walk();
    const { text } = index;
    if (!cursor.gotoFirstChild()) return outline;
    do {
      if (!cursor.nodeIsNamed) continue;
      const type = cursor.nodeType;
      if (type === "comment") continue;
      outline.statements.push(cursor.startIndex);
      if (type === "while_statement") outline.loops.push(cursor.startIndex);
      if (type === "decorated_definition") {
        if (childField(cursor, "definition")) {
          const inner = cursor.nodeType;
          if ((inner === "function_definition" || inner === "class_definition") && childField(cursor, "body")) {
            outline.bodies.push([cursor.startIndex, cursor.endIndex]);
            cursor.gotoParent();
          }
          cursor.gotoParent();
        }
      } else if (type === "function_definition" || type === "class_definition") {
        const start = outline.statements[outline.statements.length - 1];
        if (!cursor.gotoFirstChild()) continue;
        let parameters = "";
        do {
          const field = cursor.currentFieldName;
          if (field === "parameters") parameters = text.slice(cursor.startIndex, cursor.endIndex);
          else if (field === "body") {
            outline.bodies.push([cursor.startIndex, cursor.endIndex]);
            break;
          }
        } while (cursor.gotoNextSibling());
        cursor.gotoParent();
        if (type === "function_definition" && parameters !== "" && !parameters.includes("=")) outline.inert.add(start);
      }
    } while (cursor.gotoNextSibling());
    return outline;
  });
}

/** The top-level statement that starts at `at` (one of Outline's), made a node. */
export function statementStartingAt(index: SourceIndex, at: number): SyntaxNode {
  return index.topLevelStatementOf(index.root.descendantForIndex(at, at + 1))!;
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
  const cursor = index.root.walk();
  for (const at of index.words.positions(keyword)) {
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
