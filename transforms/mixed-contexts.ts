// SPS204: a fork-context Queue, Lock or other SemLock object handed to a spawn or forkserver process.
import { defineTransform, type CheckContext } from "../src/transform";
import type { StartMethod } from "../src/options";
import type { CreationSite, ModuleFacts } from "../src/python/module";
import { argument } from "../src/python/literals";
import type { SyntaxNode } from "../src/parse";
import { explicitContextFix } from "../src/fix/context";

/** Where a process (or a pool's workers) receives objects: keyword and position of each argument. */
const HANDED_OVER: Record<string, Array<{ keyword: string; position: number }>> = {
  Process: [{ keyword: "args", position: 3 }, { keyword: "kwargs", position: 4 }],
  Pool: [{ keyword: "initargs", position: 2 }],
  ProcessPoolExecutor: [{ keyword: "initargs", position: 3 }],
};

/**
 * Objects built on a SemLock: CPython refuses to pickle one made in a fork context for a
 * spawn or forkserver child. Managers are not here: their proxies travel between contexts.
 */
const SEMLOCK_KINDS = new Set([
  "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
  "Condition", "Event", "Barrier", "Value", "Array",
]);

const SCOPES = new Set(["function_definition", "lambda", "class_definition"]);

export const mixedContexts = defineTransform({
  code: "SPS204",
  name: "mixed-contexts",
  summary: "A Queue, Lock or similar object from a fork context is handed to a spawn or forkserver process",
  fix: "sometimes",
  unit: "switch",
  check(context) {
    const { module } = context;
    const byNode = new Map(module.sites.map((s) => [s.node.id, s]));
    const reported = new Set<number>();
    for (const process of module.sites) {
      const method = process.method;
      if (method !== "spawn" && method !== "forkserver") continue;
      for (const { keyword, position } of HANDED_OVER[process.kind] ?? []) {
        const given = argument(process.node, keyword, position);
        for (const use of given ? handedObjects(given) : []) {
          const object = objectSite(module, use, byNode);
          if (!object || reported.has(object.node.id) || !isForkContext(module, object, method)) continue;
          reported.add(object.node.id);
          report(context, use, object, process, method);
        }
      }
    }
  },
});

function report(context: CheckContext, use: SyntaxNode, object: CreationSite, process: CreationSite, method: StartMethod): void {
  const made = object.method === "fork" ? 'get_context("fork")' : "the default context (fork on Linux before Python 3.14)";
  const article = /^[AEIOU]/.test(object.kind) ? "an" : "a";
  const what = use.type === "identifier" ? `\`${use.text}\`, ${article} \`${object.kind}\`` : `This \`${object.kind}\``;
  context.report({
    node: use,
    message: `${what} made from ${made}, is handed to a ${process.kind} of get_context("${method}"): starting it raises "A SemLock created in a fork context is being shared with a process in a spawn context"; make it from get_context("${method}")`,
    // An explicit fork object is the user's choice: reported only.
    fix: object.method === "default" ? explicitContextFix(context.module, object, method) : null,
  });
}

/** The expressions an argument hands over: itself, or the items of a tuple, list or dict literal. */
function handedObjects(value: SyntaxNode): SyntaxNode[] {
  switch (value.type) {
    case "tuple":
    case "list":
    case "parenthesized_expression":
      return value.namedChildren.flatMap(handedObjects);
    case "dictionary":
      return value.namedChildren.flatMap((pair) => {
        const v = pair.type === "pair" ? pair.childForFieldName("value") : null;
        return v ? handedObjects(v) : [];
      });
    case "identifier":
    case "call":
      return [value];
    default:
      return [];
  }
}

/** The SemLock creation site an expression is: the call itself, or the one assignment of a name. */
function objectSite(module: ModuleFacts, use: SyntaxNode, byNode: Map<number, CreationSite>): CreationSite | null {
  const node = use.type === "identifier" ? assignedValue(module, use) : use;
  const site = node ? byNode.get(node.id) : undefined;
  return site && SEMLOCK_KINDS.has(site.kind) ? site : null;
}

/**
 * What a name is bound to, when its nearest scope binds it exactly once, by a plain
 * `name = value` before the use; null for parameters, loops, `with ... as`, rebinding.
 */
function assignedValue(module: ModuleFacts, use: SyntaxNode): SyntaxNode | null {
  for (let scope: SyntaxNode | null = scopeOf(use); scope; scope = scope.parent ? scopeOf(scope) : null) {
    if (scope.type === "class_definition") continue;
    const bindings = bindingsIn(scope, use.text);
    if (bindings.length === 0) {
      if (scope.id === module.root.id) return null;
      continue;
    }
    const [only] = bindings;
    if (bindings.length > 1 || only.type !== "assignment" || only.startIndex > use.startIndex) return null;
    return only.childForFieldName("right");
  }
  return null;
}

function scopeOf(node: SyntaxNode): SyntaxNode | null {
  for (let n = node.parent; n; n = n.parent) if (SCOPES.has(n.type) || n.type === "module") return n;
  return null;
}

/** The nodes that bind `name` in a scope (not in scopes nested in it). */
function bindingsIn(scope: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const params = scope.childForFieldName("parameters");
  if (params && params.descendantsOfType("identifier").some((p) => p.text === name)) found.push(params);
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (SCOPES.has(child.type)) {
        if (child.type !== "lambda" && child.childForFieldName("name")?.text === name) found.push(child);
        continue;
      }
      if (bindsName(child, name)) found.push(child);
      visit(child);
    }
  };
  const body = scope.type === "module" ? scope : scope.childForFieldName("body");
  if (body) visit(body);
  return found;
}

/** Statements and clauses that (re)bind a name: assignment targets, loops, `as`, imports, `global`. */
function bindsName(node: SyntaxNode, name: string): boolean {
  const targets = (field: string): boolean => {
    const target = node.childForFieldName(field);
    return !!target && (target.text === name || target.descendantsOfType("identifier").some((i) => i.text === name && !isAttributePart(i)));
  };
  switch (node.type) {
    case "assignment":
    case "augmented_assignment":
    case "for_statement":
    case "for_in_clause":
      return targets("left");
    case "named_expression":
      return targets("name");
    case "as_pattern":
      return targets("alias");
    case "import_statement":
    case "import_from_statement":
    case "global_statement":
    case "nonlocal_statement":
    case "delete_statement":
      return node.descendantsOfType("identifier").some((i) => i.text === name);
    default:
      return false;
  }
}

/** `obj.name` or `obj[name]` as a target binds obj's attribute, not the name. */
function isAttributePart(identifier: SyntaxNode): boolean {
  const parent = identifier.parent;
  return parent?.type === "attribute" || parent?.type === "subscript";
}

/**
 * The object is a fork-context SemLock: made from get_context("fork"), or from the default
 * context in a module that does not set the start method to the process's method (a
 * computed `set_start_method(...)` cannot be judged: not reported).
 */
function isForkContext(module: ModuleFacts, object: CreationSite, method: StartMethod): boolean {
  if (object.method === "fork") return true;
  if (object.method !== "default") return false;
  return !module.startMethodCalls.some((c) => c.method === method || c.method === null);
}
