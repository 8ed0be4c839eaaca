// How a module chooses its start method, and what in it depends on the choice: facts the
// fixes that change the method stand on.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import type { CreationSite, StartMethodCall } from "./sites";
import { callsNamed } from "./source-index";
import { canonical } from "./vocabulary";
import { isMainGuard } from "./model";
import { type Method, methodOfLiteral } from "./literals";
import { inFunctionNamed, within } from "./scopes";

export interface Choice {
  call: StartMethodCall;
  /**
   * Null when the call runs whenever the program does (a statement of the module or of its
   * main guard); else what it depends on: `if sys.platform == "darwin"`, `try ... except`,
   * `in function configure()`.
   */
  condition: string | null;
  /** The same as data: null when the call runs whenever the program does. */
  path: PathCondition | null;
}

/** What a choice's running depends on (Choice.condition, as data). */
export type PathCondition =
  // runs where `test` is true (holds) or false (an else); `statement` is the `if` and `branch` its part holding the call
  | { kind: "if"; test: string; holds: boolean; statement?: SyntaxNode; branch?: SyntaxNode }
  | { kind: "try" } // skipped when it raises
  | { kind: "function"; name: string; node: SyntaxNode } // runs when the function is called
  | { kind: "expression" }; // part of a larger expression, whose evaluation spawnsafe does not follow

/** The module's set_start_method calls, each with the condition it runs under. */
export function startMethodChoices(module: ModuleFacts): Choice[] {
  return module.index.memo("startMethodChoices", () =>
    module.startMethodCalls.map((call) => {
      const path = pathOf(module, call.node);
      return { call, path, condition: path ? describe(path) : null };
    }),
  );
}

function describe(path: PathCondition): string {
  switch (path.kind) {
    case "if":
      return path.holds ? `if \`${path.test}\`` : `in the \`else\` of \`if ${path.test}\``;
    case "try":
      return "in a `try` whose `except` goes on without it (when the context is already set, it raises and is skipped)";
    case "function":
      return `when \`${path.name}()\` is called`;
    case "expression":
      return "as part of an expression";
  }
}

/** The paths a choice leaves on the default start method, in words: "on paths where `c` is false". */
export function otherPaths(path: PathCondition): string {
  switch (path.kind) {
    case "if":
      return `on paths where \`${path.test}\` is ${path.holds ? "false" : "true"}`;
    case "try":
      return "on paths where the `try` around it raises (the context was already set, possibly to the default)";
    case "function":
      return `on paths that do not call \`${path.name}()\` first`;
    case "expression":
      return "on paths where the expression holding it does not call it";
  }
}

function pathOf(module: ModuleFacts, call: SyntaxNode): PathCondition | null {
  const statement = module.index.parent(call);
  if (statement?.type !== "expression_statement") return { kind: "expression" };
  return pathFrom(module, statement);
}

/** What a statement's running depends on, from the blocks around it. */
function pathFrom(module: ModuleFacts, statement: SyntaxNode): PathCondition | null {
  for (let node = module.index.parent(statement); node; node = module.index.parent(node)) {
    switch (node.type) {
      case "module":
        return null;
      case "block": {
        const owner = module.index.parent(node);
        if (owner && owner.type === "if_statement" && isMainGuard(owner) && module.index.parent(owner)?.type === "module" && module.index.field(owner, "consequence")?.id === node.id) return null;
        break;
      }
      case "if_statement":
      case "elif_clause":
      case "else_clause": {
        const holder = node.type === "if_statement" ? node : module.index.parent(node);
        const condition = holder?.type === "if_statement" ? module.index.field(node.type === "elif_clause" ? node : holder, "condition") : null;
        const test = condition?.text.replace(/\s+/g, " ") ?? "...";
        if (holder?.type !== "if_statement") return { kind: "if", test, holds: node.type !== "else_clause" };
        return { kind: "if", test, holds: node.type !== "else_clause", statement: holder, branch: node };
      }
      case "try_statement":
        return { kind: "try" };
      case "function_definition":
        return { kind: "function", name: module.index.field(node, "name")?.text ?? "?", node };
      case "for_statement":
      case "while_statement":
      case "with_statement":
        break;
    }
  }
  return null;
}

/**
 * Which paths of the module keep the default start method, given its own choices:
 * - "none": the module chooses nothing (every path is on the default);
 * - "every": a choice runs whenever the program does (at module level, first in the main
 *   guard, or in one of `programFunctions`, the functions the program's entry runs: `main()`);
 * - "some": every choice runs on some paths only; the others keep the default.
 */
export type DefaultPaths = { kind: "none" } | { kind: "every" } | { kind: "some"; choices: Choice[] };

export function defaultPaths(module: ModuleFacts, programFunctions: ReadonlySet<string>): DefaultPaths {
  const choices = startMethodChoices(module);
  if (choices.length === 0) return { kind: "none" };
  const always = (c: Choice) => c.path === null || (c.path.kind === "function" && programFunctions.has(c.path.name) && atTopLevel(module, c.path.node));
  if (choices.some(always)) return { kind: "every" };
  // An `if` that chooses in each of its branches, else included, chooses on every path through it.
  const byStatement = new Map<number, { statement: SyntaxNode; branches: Set<number> }>();
  for (const c of choices) {
    if (c.path?.kind !== "if" || !c.path.statement || !c.path.branch) continue;
    const entry = byStatement.get(c.path.statement.id) ?? { statement: c.path.statement, branches: new Set<number>() };
    entry.branches.add(c.path.branch.id);
    byStatement.set(c.path.statement.id, entry);
  }
  for (const { statement, branches } of byStatement.values()) {
    const clauses = statement.namedChildren.filter((n) => n.type === "elif_clause" || n.type === "else_clause");
    if (!clauses.some((n) => n.type === "else_clause") || ![statement, ...clauses].every((b) => branches.has(b.id))) continue;
    const outer = pathFrom(module, statement);
    if (outer === null || (outer.kind === "function" && programFunctions.has(outer.name) && atTopLevel(module, outer.node))) return { kind: "every" };
  }
  return { kind: "some", choices };
}

/** A function of the module's top level, decorated or not (`@click.command()` over `def main()`). */
function atTopLevel(module: ModuleFacts, fn: SyntaxNode): boolean {
  const parent = module.index.parent(fn);
  return parent?.type === "module" || (parent?.type === "decorated_definition" && module.index.parent(parent)?.type === "module");
}

/**
 * The choices a site is not covered by: a choice that runs whenever its function does covers
 * the sites of that function after it (`def run(): set_start_method(m); Pool()`).
 */
export function uncoveredBy(choices: Choice[], site: CreationSite): boolean {
  return !choices.some((c) => c.path?.kind === "function" && within(site.node, c.path.node) && site.node.startIndex >= c.call.node.endIndex);
}

/** The paths where none of the choices run, in words: "on paths where `a` is false and `b` is false". */
export function pathsWithout(choices: Choice[]): string {
  const phrases = [...new Set(choices.map((c) => otherPaths(c.path!)))];
  const shown = phrases.slice(0, 2).join(" and ");
  return phrases.length > 2 ? `${shown} (and ${phrases.length - 2} more)` : shown;
}

/** The names of the functions the main guard calls in its own statements (`main()`, `sys.exit(main())`): every run of the program runs them. */
export function guardCalls(module: ModuleFacts): Set<string> {
  const names = new Set<string>();
  const guard = module.mainGuards[0];
  const block = guard ? module.index.field(guard, "consequence") : null;
  for (const statement of block?.namedChildren ?? []) {
    if (statement.type !== "expression_statement") continue;
    const walk = (node: SyntaxNode): void => {
      if (node.type === "call") {
        const callee = module.index.field(node, "function");
        if (callee?.type === "identifier") names.add(callee.text);
      }
      if (node.type === "lambda") return;
      node.namedChildren.forEach(walk);
    };
    walk(statement);
  }
  return names;
}

/**
 * The methods a method argument names on each path, when it is a conditional expression of
 * literals (`"spawn" if ON_WINDOWS else "fork"`): each with the test and whether it holds there.
 * Null for any other expression.
 */
export function methodBranches(arg: SyntaxNode | null): Array<{ method: Method; test: string; holds: boolean }> | null {
  let node = arg;
  while (node?.type === "parenthesized_expression" && node.namedChildCount === 1) node = node.namedChildren[0];
  if (node?.type !== "conditional_expression" || node.namedChildCount !== 3) return null;
  const [body, test, alternative] = node.namedChildren;
  const text = test.text.replace(/\s+/g, " ");
  const branches: Array<{ method: Method; test: string; holds: boolean }> = [];
  for (const [branch, holds] of [[body, true], [alternative, false]] as const) {
    const nested = methodBranches(branch);
    // A nested choice is named by its outer test only: the reader sees the whole expression.
    if (nested) nested.forEach((n) => branches.push({ method: n.method, test: text, holds }));
    else branches.push({ method: methodOfLiteral(branch), test: text, holds });
  }
  return branches;
}

/**
 * Code of the module whose behaviour depends on the default context, which per-site contexts
 * would leave behind: `multiprocessing.get_start_method()` (it still answers the default)
 * and `isinstance(p, multiprocessing.Process)` (a spawn context's Process is not one).
 */
export function contextDependence(module: ModuleFacts): SyntaxNode[] {
  return module.index.memo("contextDependence", () => {
    const found: SyntaxNode[] = [];
    for (const call of callsNamed(module.index, ["get_start_method", "isinstance", "issubclass"])) {
      const callee = module.model.valueOf(module.index.field(call, "function"));
      if (callee?.kind !== "qualified") continue;
      const qname = canonical(callee.qname);
      if (qname === "multiprocessing.get_start_method") found.push(call);
      else if (qname === "builtins.isinstance" || qname === "builtins.issubclass") {
        const args = call.childForFieldName("arguments")?.namedChildren ?? [];
        const classes = args[1] ? (args[1].type === "tuple" ? args[1].namedChildren : [args[1]]) : [];
        if (classes.some((c) => {
          const value = module.model.valueOf(c);
          return value?.kind === "qualified" && canonical(value.qname) === "multiprocessing.Process";
        })) found.push(call);
      }
    }
    return found;
  });
}

/**
 * Functions that are a program's entry point: the program's choice, not a library's. The
 * packaging metadata names them (src/project/entrypoints.ts); without it, these usual names.
 */
export const ENTRY_POINTS: ReadonlySet<string> = new Set(["main", "_main", "cli"]);

/** Under a main guard or in an entry-point function the call runs only when this module is the program. */
export function inProgramCode(node: SyntaxNode, entryPoints: ReadonlySet<string>): boolean {
  for (let n = node.parent; n; n = n.parent) if (isMainGuard(n)) return true;
  return inFunctionNamed(node, entryPoints);
}

/**
 * A library whose own `set_start_method` calls (outside its program code) all name one method,
 * spawn or forkserver: library-sets-start-method (SPS107) replaces them with explicit contexts
 * at every default site, so those sites are that rule's to speak for.
 */
export function choosesForItsSites(module: ModuleFacts, entryPoints: ReadonlySet<string>): boolean {
  const calls = module.startMethodCalls.filter((c) => !inProgramCode(c.node, entryPoints));
  const methods = new Set(calls.map((c) => c.method));
  return methods.size === 1 && (methods.has("spawn") || methods.has("forkserver"));
}
