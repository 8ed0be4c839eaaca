// Obligations a creation site owes on its function's parameters, proved where the function is
// called. `def run_all(func, items): with Pool() as p: return p.map(func, items)` cannot tell
// what `func` reads or whether the items pickle: its site's unknowns on `func` and `items` are
// deferred to the callers (pickling.ts marks them). Each caller proves them with its own
// arguments, in its own module, as for a task of its own: the value pickles, its items do,
// and the code it reaches reads nothing the caller's parent changes at run time. The project
// (src/project/programs.ts) lifts the site's unknowns when every call of the function in the
// project proves them and nothing else uses the function.
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import { Prover, methodsOf, short, type Proof } from "./pickling";
import { codeState, siteProof } from "./crossing";
import { changesIn, isProjectModule, methodsNamed, parentCode } from "./state";
import { unwrapPartial, workerUses } from "./worker-functions";
import type { CreationSite } from "./sites";
import { calledAs } from "./process-starts";

/** A parameter of a module-level function whose argument the children get: its value, its items, or both. */
export interface DeferredParam {
  name: string;
  /** Its place among the positional parameters, or -1 when it can only be passed by keyword. */
  position: number;
  needs: Array<"value" | "items">;
}

/** A function whose sites' only open obligations are on its parameters. */
export interface DeferredFunction {
  /** Its qualified name (`pkg.runner.run_all`). */
  function: string;
  params: DeferredParam[];
}

/** One use of a project function that starts processes, with what each argument proves ("": proved; else why not). */
export interface ProjectCall {
  /** Its qualified name, or `?name` when the name could not be resolved. */
  function: string;
  line: number;
  /** Why the use is not a call whose arguments can be judged (a value, `*args`), or "". */
  open: string;
  /** Each argument: its place (-1 for a keyword argument), its keyword ("" for a positional one), what its value and its items prove. */
  args: Array<{ position: number; keyword: string; value: string; items: string }>;
}

/**
 * The module-level functions whose sites are unknown only through their parameters, with those
 * parameters. A function whose name this module uses other than in its `def` is left out: its
 * calls here pass what is not followed.
 */
export function deferredFunctions(module: ModuleFacts): DeferredFunction[] {
  const own = module.model.project.moduleName;
  if (!own) return [];
  // By the function's node id (tree-sitter hands out a new object for each visit of a node).
  const byFunction = new Map<number, { fn: SyntaxNode; params: Map<string, Set<"value" | "items">> }>();
  for (const site of module.sites) {
    if (site.method !== "default" || !site.startsProcesses || !namesParameter(module, site)) continue;
    const { open } = siteProof(module, site);
    if (open.length === 0 || !open.every((p) => p.verdict === "unknown" && p.deferred)) continue;
    for (const d of open.flatMap((p) => p.deferred!)) {
      const entry = byFunction.get(nodeId(d.fn)) ?? { fn: d.fn, params: new Map<string, Set<"value" | "items">>() };
      byFunction.set(nodeId(d.fn), entry);
      entry.params.set(d.param, (entry.params.get(d.param) ?? new Set()).add(d.needs));
    }
  }
  const found: DeferredFunction[] = [];
  // A caller's task reads state its own module proves; what this module's code changes (a seed, a
  // setting, another module's attribute, through a project function) the caller cannot see.
  const tasks = [...byFunction.values()].some(({ params }) => [...params.values()].some((needs) => needs.has("value")));
  if (tasks && !leavesStateAlone(module)) return [];
  for (const { fn, params } of byFunction.values()) {
    // Its uses in this module are judged with the others' (projectCalls of this module).
    const name = fn.childForFieldName("name");
    if (!name) continue;
    const places = parameterPlaces(fn);
    found.push({
      function: `${own}.${name.text}`,
      params: [...params].map(([param, needs]) => ({ name: param, position: places.get(param) ?? -1, needs: [...needs].sort() })),
    });
  }
  return found;
}

/**
 * Whether the site's call or the calls that hand it tasks name a parameter of the module-level
 * function around it: only then can its open obligations be its callers' (a cheap test first,
 * so that a module's sites are not all proved for the project model's sake).
 */
function namesParameter(module: ModuleFacts, site: CreationSite): boolean {
  // A Process subclass is handed its values where its instances are made: not cut short.
  if (site.kind === "ProcessSubclass" || site.node.type !== "call") return true;
  const { index } = module;
  let fn: SyntaxNode | null = null;
  for (let up = index.parent(site.node); up; up = index.parent(up)) if (up.type === "function_definition") fn = up;
  const params = new Set((fn ? index.field(fn, "parameters")?.descendantsOfType("identifier") ?? [] : []).map((p) => p.text));
  if (params.size === 0) return false;
  const calls = [site.node, ...workerUses(module).filter((use) => use.site === site).map((use) => use.call)];
  return calls.some((call) => call.descendantsOfType("identifier").some((id) => params.has(id.text)));
}

/** Whether none of this module's functions changes state that outlives it, nor calls another project module's function. */
function leavesStateAlone(module: ModuleFacts): boolean {
  const code = parentCode(module, [], false);
  if (changesIn(module, code).length > 0) return false;
  return code.every((fn) => fn.descendantsOfType("call").every((call) => {
    const value = module.model.valueOf(call.childForFieldName("function"));
    // This module's own functions and methods are in `code` already.
    return value?.kind !== "qualified" || !isProjectModule(module, value.qname) || value.qname.startsWith(`${module.model.project.moduleName}.`);
  }));
}

/** Each parameter's place among the positional ones; keyword-only ones are left out. */
function parameterPlaces(fn: SyntaxNode): Map<string, number> {
  const places = new Map<string, number>();
  let at = 0;
  for (const p of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (p.type === "comment" || p.type === "positional_separator") continue;
    if (/splat_pattern|keyword_separator/.test(p.type)) break;
    const name = p.type === "identifier" ? p : p.childForFieldName("name") ?? p.namedChildren.find((c) => c.type === "identifier");
    if (name) places.set(name.text, at);
    at++;
  }
  return places;
}

/**
 * Every use in this module of a project function that starts processes (by the names the
 * project gives them: src/project/project-exports.ts) or of one of its own deferred functions (`own`),
 * each call with what its arguments prove.
 */
export function projectCalls(module: ModuleFacts, isMainModule = false, own: string[] = []): ProjectCall[] {
  const starting = [...Object.keys((module.model.project as { startingFunctions?: Record<string, string[]> }).startingFunctions ?? {}), ...own];
  const names = new Set(starting.filter((q) => !q.endsWith(".__init__")).map(calledAs));
  const calls: ProjectCall[] = [];
  const { model, index } = module;
  for (const name of names) {
    for (const id of index.identifiers(name)) {
      const parent = index.parent(id);
      if (!parent) continue;
      const line = module.lines.position(id.startIndex).line;
      if (parent.type === "dotted_name" || parent.type === "aliased_import" || /^import/.test(parent.type)) {
        // `from pkg.runner import run_all`: its calls are followed; `... as go`, or a name in a dotted one, is not.
        let at: SyntaxNode | null = parent;
        while (at && !/^(import|aliased_import)/.test(at.type)) at = index.parent(at);
        const alias = at?.type === "aliased_import" ? index.field(at, "alias") : null;
        if (!at || (alias && alias.text !== name)) calls.push({ function: `?${name}`, line, open: "imported under another name", args: [] });
        continue;
      }
      if (parent.type === "function_definition" && index.field(parent, "name")?.id === id.id) continue;
      if (parent.type === "keyword_argument" && index.field(parent, "name")?.id === id.id) continue;
      const expr = parent.type === "attribute" && index.field(parent, "attribute")?.id === id.id ? parent : id;
      if (expr === id && parent.type === "attribute" && index.field(parent, "attribute")?.id === id.id) continue;
      const value = model.valueOf(expr);
      // A name resolved to a starting function or to a definition here; anything else (`runner.run_all` on
      // what `importlib.import_module(...)` gave) may be the function all the same: unresolved.
      const qname = value?.kind === "qualified" && starting.includes(value.qname) ? value.qname : value?.kind === "definition" ? value.qname ?? `?${name}` : `?${name}`;
      const call = index.parent(expr);
      if (call?.type !== "call" || index.field(call, "function")?.id !== expr.id) {
        calls.push({ function: qname, line, open: `\`${short(expr)}\` is used as a value`, args: [] });
        continue;
      }
      // A package's `__main__` module: spawned children do not import it, and cannot find what it defines.
      if (isMainModule) calls.push({ function: qname, line, open: "made in a package's `__main__` module, which spawned children do not import", args: [] });
      else calls.push({ function: qname, line, ...argumentsOf(module, call, qname) });
    }
  }
  return calls;
}

function argumentsOf(module: ModuleFacts, call: SyntaxNode, callee: string): Pick<ProjectCall, "open" | "args"> {
  const args = (module.index.field(call, "arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
  const splat = args.find((a) => a.type === "list_splat" || a.type === "dictionary_splat");
  if (splat) return { open: `\`${short(splat)}\` passes what is not followed`, args: [] };
  const prover = new Prover(module);
  let position = 0;
  return {
    open: "",
    args: args.map((a) => {
      const keyword = a.type === "keyword_argument" ? module.index.field(a, "name")?.text ?? "?" : "";
      const expr = a.type === "keyword_argument" ? module.index.field(a, "value") ?? a : a;
      const code = codeProof(module, expr, callee);
      const why = (p: Proof) => (p.verdict === "proved" ? code : `\`${short(p.node)}\`: ${p.reason || "not proved"}`);
      return {
        position: keyword ? -1 : position++,
        keyword,
        value: why(prover.value(expr, "argument")),
        items: why(prover.itemsOf(expr, "argument")),
      };
    }),
  };
}

/**
 * Whether the code an argument may run in a child reads only state the parent leaves alone:
 * the functions and classes its value reaches (through names, assignments, loops), their
 * same-module callees, against the module's run-time code. Null when proved; else why not.
 */
function codeProof(module: ModuleFacts, expr: SyntaxNode, callee: string): string {
  const { functions, unresolved, bound, imported } = codeReached(module, expr);
  if (unresolved) return `\`${short(unresolved)}\` (line ${module.lines.position(unresolved.startIndex).line}) runs code that is not followed`;
  // A Queue or Lock of this module's default context handed to a site that gets a spawn context: "A SemLock
  // created in a fork context is being shared with a process in a spawn context".
  if (bound) return `\`${short(bound)}\` (line ${module.lines.position(bound.startIndex).line}) is a multiprocessing object of this module's context, which the other module's site would not share`;
  const program = module.mainGuards.length > 0 || module.startingStatements.size > 0;
  const parent = program ? module.index.memo("parentCode:program", () => parentCode(module, [], true)) : parentCode(module, functions, false);
  // A library's function handed over (`math.sqrt`, `helpers.run`): the child imports its module afresh.
  if (imported.size > 0) {
    const change = changesIn(module, parent).find((c) => c.root === "*" || imported.has(c.root));
    if (change) return `the parent changes \`${change.root}\` at run time (line ${module.lines.position(change.node.startIndex).line}, \`${short(change.node)}\`), whose code the child runs from a fresh import`;
  }
  if (functions.length === 0) return "";
  // The other module's site gets its own context: what this one's default context answers stays.
  // The function called: its module's code leaves state alone, or it defers nothing (deferredFunctions).
  const { reads, rest } = codeState(module, functions, parent, true, false, "forkserver", callee);
  const open = [...reads, ...rest].find((p) => p.verdict !== "proved");
  return open ? open.reason : "";
}

/** The functions of this module an expression's value may run (with what they call), or the first part that is not followed. */
function codeReached(module: ModuleFacts, expr: SyntaxNode): { functions: SyntaxNode[]; unresolved: SyntaxNode | null; bound: SyntaxNode | null; imported: Set<string> } {
  const { model, index } = module;
  const found = new Map<number, SyntaxNode>();
  const seen = new Set<number>();
  let unresolved: SyntaxNode | null = null;
  let bound: SyntaxNode | null = null;
  const imported = new Set<string>();
  const isBound = (call: SyntaxNode) => {
    const made = model.valueOf(index.field(call, "function"));
    return made?.kind === "context" || made?.kind === "contextMember" || (made?.kind === "qualified" && /^(multiprocessing|torch\.multiprocessing|concurrent\.futures)\b/.test(made.qname));
  };
  const visit = (node: SyntaxNode, depth: number): void => {
    if (unresolved || seen.has(nodeId(node))) return;
    seen.add(nodeId(node));
    if (depth > 12) {
      unresolved = node;
      return;
    }
    // Anything multiprocessing or a context makes here belongs to this module's context.
    for (const call of node.type === "call" ? [node, ...node.descendantsOfType("call")] : node.descendantsOfType("call")) {
      if (isBound(call)) bound ??= call;
    }
    const ids = node.type === "identifier" ? [node] : node.descendantsOfType("identifier");
    for (const id of ids) {
      const parent = index.parent(id);
      // `obj.attr`: the attribute's name is not a name read (its object is).
      if (parent?.type === "attribute" && index.field(parent, "attribute")?.id === id.id) continue;
      if (parent?.type === "keyword_argument" && index.field(parent, "name")?.id === id.id) continue;
      const bindings = model.bindingsReaching(id);
      for (const b of bindings) {
        if (b.kind === "def" && b.node.type === "function_definition") found.set(nodeId(b.node), b.node);
        else if (b.kind === "class") methodsOf(b.node).forEach((m) => found.set(nodeId(m), m));
        else if ((b.kind === "assignment" || b.kind === "walrus" || b.kind === "with") && b.value) visit(b.value, depth + 1);
        else if (b.kind === "loop" || b.kind === "comprehension") {
          const right = index.field(b.node, "right");
          if (right) visit(right, depth + 1);
        } else if (b.kind === "import") {
          if (!b.qname || isProjectModule(module, b.qname)) unresolved = id;
          else imported.add(b.qname.split(".")[0]).add(id.text);
        } else unresolved = id;
        if (unresolved) return;
      }
    }
  };
  visit(unwrapPartial(module, expr), 0);
  if (unresolved) return { functions: [], unresolved, bound, imported };
  // The functions they call, to a fixpoint (a method call `x.m()` takes every method of this module named `m`).
  for (let batch = [...found.values()]; batch.length > 0; ) {
    const next: SyntaxNode[] = [];
    for (const fn of batch) {
      for (const call of fn.descendantsOfType("call")) {
        const callee = call.childForFieldName("function");
        const value = model.valueOf(callee);
        const targets = [value?.kind === "definition" && value.node.type === "function_definition" ? value.node : null,
          ...(callee?.type === "attribute" ? methodsNamed(module, index.field(callee, "attribute")?.text ?? "") : [])];
        for (const target of targets) {
          if (target && !found.has(nodeId(target))) {
            found.set(nodeId(target), target);
            next.push(target);
          }
        }
      }
    }
    batch = next;
  }
  // A module global the code uses that holds a Queue or Lock: a forked child shares the parent's, a spawned one makes its own.
  for (const fn of found.values()) {
    for (const id of fn.childForFieldName("body")?.descendantsOfType("identifier") ?? []) {
      const b = model.bindingsReaching(id)[0];
      if (b?.scope.kind !== "module" || !b.value || bound) continue;
      for (const call of b.value.type === "call" ? [b.value, ...b.value.descendantsOfType("call")] : b.value.descendantsOfType("call")) {
        if (isBound(call)) bound ??= id;
      }
    }
  }
  return { functions: [...found.values()], unresolved: null, bound, imported };
}
