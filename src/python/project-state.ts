// Other project modules' state, as a program's children read it. A spawned child imports the
// project's modules afresh (the program itself as `__mp_main__`, and what its top level
// imports): it has their import-time state. A forked child has the parent's state at the start.
// They differ only by what the parent's run-time code does to those modules, and that code can
// reach another project module only by naming it: an import of it, or a module-level name whose
// value was made from one (`RUNNER = jobs.Runner()`). So when the parent's run-time code names no
// project module, no project module's state can differ, whatever the child's code reads of them
// (its interpreter-wide and run-time-import changes, which may reach anything, are state.ts's).
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import { isNameRead } from "./globals";
import { isProjectModule } from "./state";
import { isMainGuard } from "./model";
import { writesPerProcessWord } from "./per-process";

/**
 * Whether the project modules a program's children read hold what a fresh import gives them:
 * null when proved, else why not. Three things make them differ: the parent's run-time code
 * reaching them (projectNamedAtRunTime), a module whose import computes a per-process value
 * (a forked child has the parent's, a spawned one its own: any project module, since one may
 * compute from another; src/project/volatile.ts), and this module's own import-time code doing so.
 */
export function projectStateReason(module: ModuleFacts, parent: SyntaxNode[], exempt?: string): string | null {
  const { volatile, moduleName } = module.model.project;
  if (!volatile) return "the project's modules are not read yet";
  const other = volatile.find((m) => m !== moduleName);
  if (other) return `the project's module \`${other}\` may compute at import a value that differs between processes`;
  const own = ownImportTimeVolatile(module);
  if (own) return `this module computes at import (line ${module.lines.position(own.startIndex).line}) what may differ between processes`;
  const named = projectNamedAtRunTime(module, parent, exempt);
  if (named) return `the parent's run-time code reaches project code (\`${named.text}\`, line ${module.lines.position(named.startIndex).line})`;
  return null;
}

/** The first top-level statement of the module that runs at import and writes a per-process word (imports and function bodies left out). */
function ownImportTimeVolatile(module: ModuleFacts): SyntaxNode | null {
  return module.index.memo("ownImportTimeVolatile", () => {
    for (const statement of module.model.statements) {
      if (statement.type === "import_statement" || statement.type === "import_from_statement" || statement.type === "future_import_statement") continue;
      if (isMainGuard(statement)) {
        const alternative = statement.childForFieldName("alternative");
        if (alternative && writesPerProcessWord(alternative.text)) return statement;
        continue;
      }
      const definition = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
      if (definition?.type === "function_definition") {
        const parts = [...statement.namedChildren.filter((c) => c.type === "decorator"), definition.childForFieldName("parameters")];
        if (parts.some((p) => p && writesPerProcessWord(p.text))) return statement;
        continue;
      }
      if (writesPerProcessWord(statement.text)) return statement;
    }
    return null;
  });
}

/**
 * The first place where the parent's run-time code `parent` names another project module (or a
 * module-level name made from one), or null when it names none.
 */
export function projectNamedAtRunTime(module: ModuleFacts, parent: SyntaxNode[], exempt?: string): SyntaxNode | null {
  for (const block of parent) {
    const found = module.index.memo(`projectNamed:${nodeId(block)}:${exempt ?? ""}`, () => firstProjectName(module, block, exempt));
    if (found) return found;
  }
  return null;
}

function firstProjectName(module: ModuleFacts, block: SyntaxNode, exempt?: string): SyntaxNode | null {
  const { model, index } = module;
  for (const id of block.descendantsOfType("identifier")) {
    if (!isNameRead(index, id)) continue;
    const bindings = model.bindingsReaching(id);
    // Where the name is bound (`res = ...`): what it is bound to is read where it is used.
    if (bindings.some((b) => b.position === id.startIndex)) continue;
    // A name a star import binds: the module it comes from.
    if (bindings.length === 0 && model.hasStarImport()) {
      const value = model.valueOf(id);
      if (!value || (value.kind === "qualified" && isOtherProjectName(module, value.qname))) return id;
      continue;
    }
    if (exempt && calls(module, id, exempt)) continue;
    // `x * settings.SCALE`, `print(settings.TABLE[k])`: a value read, nothing run or changed.
    if (readOnly(module, id)) continue;
    for (const b of bindings) {
      if (b.kind === "import" && (!b.qname || isOtherProjectName(module, b.qname))) return id;
      // `RUNNER = jobs.Runner()` at module level, used at run time: an object of the project's code.
      if (b.scope.kind === "module" && b.kind !== "import" && b.value && madeFromProject(module, b.value)) return id;
    }
  }
  return null;
}

/**
 * Whether a module-level value may be an object of the project's code: its base is a project
 * module's name, or it is made by a call of one, or of a function, class or module-level name of
 * this module that is (followed through the calls of their code).
 */
function madeFromProject(module: ModuleFacts, value: SyntaxNode, visiting = new Set<number>()): boolean {
  if (visiting.has(nodeId(value))) return false;
  if (visiting.size > 32) return true;
  visiting.add(nodeId(value));
  const calls = value.type === "call" ? [value, ...value.descendantsOfType("call")] : value.descendantsOfType("call");
  const bases = [baseOf(value), ...calls.map((call) => baseOf(module.index.field(call, "function")))];
  for (const base of bases) {
    if (base?.type !== "identifier") continue;
    for (const b of module.model.bindingsReaching(base)) {
      if (b.kind === "import" && (!b.qname || isOtherProjectName(module, b.qname))) return true;
      if (b.scope.kind !== "module" || b.kind === "import") continue;
      const next = b.kind === "def" || b.kind === "class" ? b.node : b.value;
      if (next && madeFromProject(module, next, visiting)) return true;
    }
  }
  return false;
}

/** The name an attribute, subscript or call chain starts from (`jobs` of `jobs.Runner(2).pool`). */
function baseOf(expr: SyntaxNode | null): SyntaxNode | null {
  let at = expr;
  while (at && /^(attribute|subscript|call|parenthesized_expression)$/.test(at.type)) {
    at = at.type === "attribute" ? at.childForFieldName("object") : at.type === "subscript" ? at.childForFieldName("value")
      : at.type === "call" ? at.childForFieldName("function") : at.namedChildren[0] ?? null;
  }
  return at;
}

/** Where a read of a value ends in an operation that cannot change it or run project code (its operands are plain data). */
const READING_HOLDERS = new Set(["binary_operator", "comparison_operator", "not_operator", "unary_operator", "interpolation"]);
const READING_CALLS = new Set(["print", "len", "str", "repr", "int", "float", "bool", "format", "abs", "round", "isinstance"].map((n) => `builtins.${n}`));

/**
 * Whether a name is only read for its value: `settings.SCALE` (attributes and items of it) as an
 * operand, or as an argument of a builtin that only reads it. A call of it, a write through it,
 * or the name handed on (where another may change it or call it) is not.
 */
function readOnly(module: ModuleFacts, id: SyntaxNode): boolean {
  const { index } = module;
  let top: SyntaxNode = id;
  for (let up = index.parent(top); up; up = index.parent(top)) {
    const inner = up.type === "attribute" ? up.childForFieldName("object") : up.type === "subscript" ? up.childForFieldName("value") : up.type === "parenthesized_expression" ? up.namedChildren[0] : null;
    if (inner?.id !== top.id) break;
    top = up;
  }
  const holder = index.parent(top);
  if (!holder) return false;
  if (READING_HOLDERS.has(holder.type)) return true;
  // The condition of `a if cond else b` (its branches are the value: `x = settings.ITEMS if c else []` hands it on).
  if (holder.type === "conditional_expression") return holder.namedChildren.filter((c) => c.type !== "comment")[1]?.id === top.id;
  if (holder.type === "argument_list") {
    const call = index.parent(holder);
    const value = call?.type === "call" ? module.model.valueOf(call.childForFieldName("function")) : null;
    return value?.kind === "qualified" && READING_CALLS.has(value.qname);
  }
  return false;
}

/** Whether `id` is the callee of a call of the function `qname` (`run_all(...)`, `runner.run_all(...)`). */
function calls(module: ModuleFacts, id: SyntaxNode, qname: string): boolean {
  let callee: SyntaxNode = id;
  for (let up = module.index.parent(callee); up?.type === "attribute" && up.childForFieldName("object")?.id === callee.id; up = module.index.parent(callee)) callee = up;
  const call = module.index.parent(callee);
  if (call?.type !== "call" || call.childForFieldName("function")?.id !== callee.id) return false;
  const value = module.model.valueOf(callee);
  return value?.kind === "qualified" && module.model.canonicalName(value.qname) === qname;
}

/** A qualified name of the project's code other than this module's own. */
function isOtherProjectName(module: ModuleFacts, qname: string): boolean {
  const own = module.model.project.moduleName;
  if (own && (qname === own || qname.startsWith(own + "."))) return false;
  return isProjectModule(module, qname);
}
