// What one identifier does where it stands: defines a function or class, names a parameter,
// is (part of) an assignment or loop target, a walrus, an import, a `global` declaration, a
// capture of a `case` pattern, a `del`, or is only read. The semantic model
// (src/python/model.ts) builds on this, so that finding the bindings of one name costs a look
// at each place the name is written, nothing more.
import { type SyntaxNode, nodeStart } from "../parse";
import type { SourceIndex } from "./source-index";
import { calleeExpression } from "./source-index";

export type Role =
  /** The name of a `def` or `class`. */
  | { role: "definition"; definition: SyntaxNode }
  /** A parameter of a function or lambda. */
  | { role: "parameter"; owner: SyntaxNode }
  /**
   * In the target of an assignment, augmented assignment, `for` (statement or comprehension
   * clause) or `as`; `direct` when the target is the identifier itself.
   */
  | { role: "target"; construct: SyntaxNode; direct: boolean }
  /** The name of `name := value`. */
  | { role: "walrus"; construct: SyntaxNode }
  /** Inside an import statement. */
  | { role: "import"; statement: SyntaxNode }
  /** In a `global` or `nonlocal` declaration. */
  | { role: "global"; statement: SyntaxNode }
  /** A name a `case` pattern captures. */
  | { role: "capture"; construct: SyntaxNode }
  /** The target of `del name`. */
  | { role: "delete"; statement: SyntaxNode }
  | { role: "read" };

/** Nodes a target may nest a name in: `a, (b, *c) = ...`, `for [x, y] in ...`, `as (p, q)`. */
const TARGET_CONTAINERS = new Set([
  "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression",
  "list_splat_pattern", "list_splat", "dictionary_splat_pattern", "as_pattern_target", "expression_list",
]);

const TARGET_FIELD: Record<string, string> = {
  assignment: "left",
  augmented_assignment: "left",
  for_statement: "left",
  for_in_clause: "left",
  as_pattern: "alias",
};

const IMPORT_PARTS = new Set(["dotted_name", "aliased_import", "relative_import"]);
const IMPORT_STATEMENTS = new Set(["import_statement", "import_from_statement", "future_import_statement"]);

export function roleOf(index: SourceIndex, identifier: SyntaxNode): Role {
  let child = identifier;
  let parent = index.parent(child);
  while (parent && TARGET_CONTAINERS.has(parent.type)) {
    child = parent;
    parent = index.parent(child);
  }
  if (!parent) return { role: "read" };
  const direct = child === identifier;
  const type = parent.type;
  const targetField = TARGET_FIELD[type];
  if (targetField) {
    return sameNode(index.field(parent, targetField), child) ? { role: "target", construct: parent, direct } : { role: "read" };
  }
  switch (type) {
    case "named_expression":
      return direct && sameNode(index.field(parent, "name"), child) ? { role: "walrus", construct: parent } : { role: "read" };
    case "function_definition":
    case "class_definition":
      return direct && sameNode(index.field(parent, "name"), child) ? { role: "definition", definition: parent } : { role: "read" };
    case "parameters":
    case "lambda_parameters":
      return { role: "parameter", owner: index.parent(parent)! };
    case "default_parameter":
    case "typed_default_parameter":
      return sameNode(index.field(parent, "name"), child) ? parameterOf(index, parent) : { role: "read" };
    case "typed_parameter":
      // `x: int`: the name is the child that is not the type.
      return child.type === "type" ? { role: "read" } : parameterOf(index, parent);
    case "global_statement":
    case "nonlocal_statement":
      return { role: "global", statement: parent };
    case "delete_statement":
      return { role: "delete", statement: parent };
    case "splat_pattern":
      return { role: "capture", construct: parent };
    case "as_pattern":
      // `case P() as name`: the name is the pattern's last child (with and except use the alias field).
      return index.parent(parent)?.type === "case_pattern" && direct && sameNode(parent.lastNamedChild, child) ? { role: "capture", construct: parent } : { role: "read" };
    case "dotted_name": {
      // `case name:` and `case P(x=name)` capture a bare name; `case a.b:` compares with a value.
      const holder = index.parent(parent);
      const bare = parent.namedChildCount === 1;
      // (A class pattern's class, `case P(...)`, sits in the class_pattern itself: it is read.)
      if (bare && (holder?.type === "case_pattern" || (holder?.type === "keyword_pattern" && !sameNode(holder.firstNamedChild, parent)))) {
        return { role: "capture", construct: parent };
      }
      break;
    }
  }
  if (IMPORT_PARTS.has(type) || IMPORT_STATEMENTS.has(type)) {
    for (let n: SyntaxNode | null = parent, depth = 0; n && depth < 4; n = index.parent(n), depth++) {
      if (IMPORT_STATEMENTS.has(n.type)) return { role: "import", statement: n };
      if (!IMPORT_PARTS.has(n.type)) break;
    }
  }
  return { role: "read" };
}

function parameterOf(index: SourceIndex, parameter: SyntaxNode): Role {
  const list = index.parent(parameter);
  const owner = list ? index.parent(list) : null;
  return owner ? { role: "parameter", owner } : { role: "read" };
}

export function sameNode(a: SyntaxNode | null, b: SyntaxNode | null): boolean {
  return !!a && !!b && a.startIndex === nodeStart(b) && a.endIndex === b.endIndex && a.type === b.type;
}

/** The names an import statement binds: each alias, or the first part of each dotted name. */
export function importedNames(statement: SyntaxNode): string[] {
  return statement.childrenForFieldName("name").map((item) => {
    const bound = item.type === "aliased_import" ? item.childForFieldName("alias") : item;
    return bound ? bound.text.split(".")[0].trim() : "";
  });
}

/**
 * `names` and every name bound to one of them: `from multiprocessing import Pool as P` adds
 * P, `make = ctx.Process` adds make. A call can name one of `names` only through these. With
 * `keep`, only the places it accepts are looked at (see SourceIndex.identifiersOf).
 */
export function aliasClosure(index: SourceIndex, names: string[], keep?: (position: number) => boolean): Set<string> {
  const all = new Set(names);
  for (let batch = [...all]; batch.length > 0; ) {
    const next: string[] = [];
    for (const identifier of index.identifiersOf(batch, keep)) {
      const alias = aliasBoundTo(index, identifier);
      if (alias && !all.has(alias)) {
        all.add(alias);
        next.push(alias);
      }
    }
    batch = next;
  }
  return all;
}

/** The name an identifier's value is bound to under another name: `import X as alias`, `alias = a.X`. */
function aliasBoundTo(index: SourceIndex, identifier: SyntaxNode): string | null {
  const role = roleOf(index, identifier);
  if (role.role === "import") {
    const parent = index.parent(identifier);
    if (parent?.type !== "dotted_name" || parent.endIndex !== identifier.endIndex) return null;
    const item = index.parent(parent);
    return item?.type === "aliased_import" ? index.field(item, "alias")?.text ?? null : null;
  }
  const expr = calleeExpression(index, identifier);
  const holder = expr ? index.parent(expr) : null;
  if (!expr || !holder) return null;
  if (holder.type === "assignment" && sameNode(index.field(holder, "right"), expr)) {
    const left = index.field(holder, "left");
    return left?.type === "identifier" ? left.text : null;
  }
  if (holder.type === "named_expression" && sameNode(index.field(holder, "value"), expr)) {
    return index.field(holder, "name")?.text ?? null;
  }
  return null;
}

