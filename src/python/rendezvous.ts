// Whether the parent, after starting a Process site's children, has heard from every one of
// them before it can drop what it handed them: the proof, other than a join(), that the
// multiprocessing locks and queues a spawned child rebuilds by name outlive its start.
//
// A child runs its target only after it has unpickled its whole Process object (target, args,
// kwargs). So an item a child puts on a queue proves that child has rebuilt everything it was
// handed. The proof is a count: the queue is handed to this site's children and used nowhere
// else but in the parent's gets; each child puts on it at most once (one `put` in the target,
// outside any loop); and the parent gets from it at least once per child it made, on a path
// that nothing between the start and the gets can leave. Then once the gets return, every
// child has put its item. Any other shape is not this proof (the obligation stays unknown).
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import type { Binding } from "./binding-table";
import type { Value } from "./model";
import { argument } from "./literals";
import { isNameRead } from "./globals";

const QUEUES = new Set(["Queue", "JoinableQueue", "SimpleQueue"]);

/** Nodes a get or put may not sit under: they may run it no time, or more than once. */
const CONDITIONAL = new Set([
  "if_statement", "while_statement", "for_statement", "try_statement", "match_statement", "conditional_expression", "boolean_operator",
  "lambda", "function_definition", "class_definition", "list_comprehension", "set_comprehension", "dictionary_comprehension",
  "generator_expression", "if_clause",
]);

/** Statements that leave a block early, or hand control elsewhere. */
const LEAVING = ["return_statement", "break_statement", "continue_statement", "raise_statement", "yield", "await"];

/** Whether the parent gets one item from each child of the site through a queue only they put to, once each. */
export function receivesFromEach(module: ModuleFacts, site: CreationSite): boolean {
  if (site.kind !== "Process" || site.node.type !== "call") return false;
  const target = targetFunction(module, site.node);
  if (!target) return false;
  for (const { expr, parameter } of handedQueues(module, site.node, target)) {
    if (putsAtMostOnce(module, target, parameter) && receivedPerChild(module, site.node, expr)) return true;
  }
  return false;
}

/** The site's target when it is a function this module defines at its top level (not a method). */
function targetFunction(module: ModuleFacts, call: SyntaxNode): SyntaxNode | null {
  const value = module.model.valueOf(argument(call, "target", 1));
  if (value?.kind !== "definition" || value.node.type !== "function_definition") return null;
  const holder = module.index.parent(value.node);
  return holder?.type === "module" ? value.node : null;
}

function isQueue(value: Value | null): boolean {
  if (value?.kind !== "instance") return false;
  const of = value.of;
  if (of.kind === "contextMember") return QUEUES.has(of.member);
  return of.kind === "qualified" && /^multiprocessing\.(context\.)?[A-Za-z]+$/.test(of.qname) && QUEUES.has(of.qname.slice(of.qname.lastIndexOf(".") + 1));
}

/** The queues the site hands over as plain names, each with the target's parameter that receives it. */
function handedQueues(module: ModuleFacts, call: SyntaxNode, target: SyntaxNode): Array<{ expr: SyntaxNode; parameter: string }> {
  const params = (target.childForFieldName("parameters")?.namedChildren ?? []).filter((p) => p.type !== "comment");
  const nameOf = (p: SyntaxNode | undefined) => (p?.type === "identifier" ? p.text : p && /^(default_parameter|typed_parameter|typed_default_parameter)$/.test(p.type) ? (p.childForFieldName("name") ?? p.namedChildren[0])?.text ?? null : null);
  // Positions count up to the first parameter that is not a plain name (`*args`, `/`, `*`).
  const plain = params.findIndex((p) => !nameOf(p));
  const positional = plain < 0 ? params : params.slice(0, plain);
  const found: Array<{ expr: SyntaxNode; parameter: string }> = [];
  const args = argument(call, "args", 3);
  if (args && /^(tuple|list)$/.test(args.type)) {
    const items = args.namedChildren.filter((n) => n.type !== "comment");
    items.forEach((item, i) => {
      const parameter = nameOf(positional[i]);
      if (item.type === "identifier" && parameter && isQueue(module.model.valueOf(item))) found.push({ expr: item, parameter });
    });
  }
  const kwargs = argument(call, "kwargs", 4);
  if (kwargs?.type === "dictionary") {
    for (const pair of kwargs.namedChildren) {
      const key = pair.childForFieldName("key");
      const value = pair.childForFieldName("value");
      const parameter = key?.type === "string" ? /^["']([A-Za-z_]\w*)["']$/.exec(key.text)?.[1] : null;
      if (value?.type === "identifier" && parameter && params.some((p) => nameOf(p) === parameter) && isQueue(module.model.valueOf(value))) {
        found.push({ expr: value, parameter });
      }
    }
  }
  return found;
}

/** The target names the parameter once, as `param.put(...)` outside any loop, comprehension or nested code. */
function putsAtMostOnce(module: ModuleFacts, target: SyntaxNode, parameter: string): boolean {
  const body = target.childForFieldName("body");
  if (!body) return false;
  // `locals()`, `vars()`, `exec`, `eval` reach a parameter without naming it.
  if (/\b(locals|vars|exec|eval)\s*\(/.test(body.text)) return false;
  const uses = module.index.identifiersWithin(parameter, body.startIndex, body.endIndex).filter((id) => isNameRead(module.index, id));
  if (uses.length !== 1) return false;
  const attribute = module.index.parent(uses[0]);
  if (attribute?.type !== "attribute" || !/^put(_nowait)?$/.test(module.index.field(attribute, "attribute")?.text ?? "")) return false;
  const call = module.index.parent(attribute);
  if (call?.type !== "call" || module.index.field(call, "function")?.id !== attribute.id) return false;
  return unconditionalUpTo(module, call, body);
}

/** No node between `node` and `top` (exclusive) may skip it or repeat it. */
function unconditionalUpTo(module: ModuleFacts, node: SyntaxNode, top: SyntaxNode, allowed: SyntaxNode | null = null): boolean {
  for (let up = module.index.parent(node); up && up.id !== top.id; up = module.index.parent(up)) {
    if (allowed && up.id === allowed.id) continue;
    if (CONDITIONAL.has(up.type)) return false;
  }
  return true;
}

/**
 * The parent gets from the queue at least once per child the site makes, after the start, and
 * nothing else uses the queue: a list of the site's processes (`procs = [Process(...) for x in
 * xs]`) and a later statement that gets once per item of it (`sorted(q.get() for _ in procs)`,
 * `for _ in procs: res.append(q.get())`); or a site made once per run of its statement and a
 * later statement of the same block that gets once.
 */
function receivedPerChild(module: ModuleFacts, site: SyntaxNode, queue: SyntaxNode): boolean {
  const { index, model } = module;
  const binding = model.bindingsReaching(queue)[0];
  if (!binding || model.bindingsIn(binding.scope, queue.text).length !== 1) return false;
  const statement = statementOf(module, site);
  const block = statement && index.parent(statement);
  if (!statement || !block) return false;
  const comprehension = index.parent(site);
  let count: ((later: SyntaxNode) => SyntaxNode[] | null) | null = null;
  let list: string | null = null;
  if (comprehension?.type === "list_comprehension" && index.field(comprehension, "body")?.id === site.id) {
    // `procs = [Process(...) for x in xs]`: one process per item of `procs`.
    const assignment = statement.type === "expression_statement" ? statement.namedChildren[0] : null;
    const left = assignment?.type === "assignment" && index.field(assignment, "right")?.id === comprehension.id ? index.field(assignment, "left") : null;
    if (left?.type !== "identifier") return false;
    list = left.text;
    count = (later) => getsPerItem(module, later, list!, queue.text);
  } else {
    if (!unconditionalUpTo(module, site, statement)) return false;
    count = (later) => getsOnce(module, later, queue.text);
  }
  const siblings = block.namedChildren;
  const at = siblings.findIndex((s) => s.id === statement.id);
  for (let i = at + 1; i < siblings.length; i++) {
    const later = siblings[i];
    const gets = count(later);
    if (gets) return onlyUses(module, binding, queue, gets);
    // What runs between the start and the gets: it may not leave the block, nor change the list.
    if (later.descendantsOfType(LEAVING).some((n) => enclosingCode(module, n, later) === null)) return false;
    if (!later.descendantsOfType("call").every((c) => enclosingCode(module, c, later) !== null || staysPut(module, c))) return false;
    if (list && !listOnlyIterated(module, later, list)) return false;
  }
  return false;
}

/** Builtins that neither end the program nor run the project's code. */
const PLAIN_BUILTINS = new Set(["print", "len", "sorted", "list", "tuple", "dict", "set", "range", "str", "int", "float", "repr", "min", "max", "sum", "enumerate", "zip", "isinstance"]);

/** Methods of processes, events, queues and lists that return (or block) without leaving the program. */
const PLAIN_METHODS = new Set(["start", "set", "clear", "append", "extend", "sort", "put", "put_nowait", "acquire", "release", "add", "update"]);

/**
 * A call between the start and the gets that cannot end the program or jump past them (as
 * `sys.exit()` would): a plain method (`p.start()`, `ready.set()`, `res.append(x)`) of a local
 * object that is not an instance of the project's own classes, or a plain builtin. A call of a
 * function (the project's or a library's) may do anything.
 */
function staysPut(module: ModuleFacts, call: SyntaxNode): boolean {
  const callee = module.index.field(call, "function");
  if (callee?.type === "identifier") return PLAIN_BUILTINS.has(callee.text) && module.model.bindingsReaching(callee).length === 0;
  if (callee?.type !== "attribute" || !PLAIN_METHODS.has(module.index.field(callee, "attribute")?.text ?? "")) return false;
  const object = module.index.field(callee, "object");
  if (object?.type !== "identifier") return false;
  const binding = module.model.bindingsReaching(object)[0];
  const value = module.model.valueOf(object);
  if (value?.kind === "instance" && value.of.kind === "definition") return false;
  return !!binding && binding.kind !== "import" && value?.kind !== "qualified";
}

/** The statement of the enclosing block that holds the node. */
function statementOf(module: ModuleFacts, node: SyntaxNode): SyntaxNode | null {
  let at = node;
  for (let up = module.index.parent(at); up; at = up, up = module.index.parent(up)) {
    if (up.type === "block" || up.type === "module") return at;
  }
  return null;
}

/** The nested function, lambda or class around `node` below `top`, or null: code that does not run here. */
function enclosingCode(module: ModuleFacts, node: SyntaxNode, top: SyntaxNode): SyntaxNode | null {
  for (let up = module.index.parent(node); up && up.id !== top.id; up = module.index.parent(up)) {
    if (/^(function_definition|lambda|class_definition)$/.test(up.type)) return up;
  }
  return null;
}

/** The list is only iterated in the statement (`for p in procs: p.start()`), never changed or rebound. */
function listOnlyIterated(module: ModuleFacts, statement: SyntaxNode, list: string): boolean {
  return module.index.identifiersWithin(list, statement.startIndex, statement.endIndex).every((id) => {
    if (!isNameRead(module.index, id)) return true;
    const holder = module.index.parent(id);
    return holder?.type === "for_statement" && module.index.field(holder, "right")?.id === id.id;
  });
}

/** The queue's gets in the statement when it gets once per item of the list: `... q.get() for _ in procs`, `for _ in procs: ...q.get()`. */
function getsPerItem(module: ModuleFacts, statement: SyntaxNode, list: string, queue: string): SyntaxNode[] | null {
  const gets = getCalls(module, statement, queue);
  if (gets.length !== 1) return null;
  const get = gets[0];
  // The loop over the list whose body holds the get: a comprehension or generator (no `if`, one `for`), or a for statement.
  for (let up = module.index.parent(get); up && up.id !== statement.id; up = module.index.parent(up)) {
    if (/^(list_comprehension|generator_expression|set_comprehension)$/.test(up.type)) {
      const clauses = up.namedChildren.filter((c) => c.type === "for_in_clause" || c.type === "if_clause");
      const right = clauses.length === 1 && clauses[0].type === "for_in_clause" ? module.index.field(clauses[0], "right") : null;
      const body = module.index.field(up, "body");
      if (right?.type !== "identifier" || right.text !== list || !body) return null;
      return isWithin(get, body) && unconditionalUpTo(module, get, up) && unconditionalUpTo(module, up, statement.parent ?? statement) ? gets : null;
    }
  }
  if (statement.type === "for_statement") {
    const right = module.index.field(statement, "right");
    const body = module.index.field(statement, "body");
    if (right?.type !== "identifier" || right.text !== list || !body || statement.childForFieldName("alternative")) return null;
    if (body.descendantsOfType(LEAVING).some((n) => enclosingCode(module, n, body) === null)) return null;
    return unconditionalUpTo(module, get, body) ? gets : null;
  }
  return null;
}

/** The queue's get in the statement when the statement runs it exactly once. */
function getsOnce(module: ModuleFacts, statement: SyntaxNode, queue: string): SyntaxNode[] | null {
  const gets = getCalls(module, statement, queue);
  if (gets.length !== 1) return null;
  return unconditionalUpTo(module, gets[0], statement.parent ?? statement) ? gets : null;
}

/** `queue.get(...)` calls in the statement. */
function getCalls(module: ModuleFacts, statement: SyntaxNode, queue: string): SyntaxNode[] {
  return module.index.identifiersWithin(queue, statement.startIndex, statement.endIndex).flatMap((id) => {
    const attribute = module.index.parent(id);
    if (attribute?.type !== "attribute" || module.index.field(attribute, "object")?.id !== id.id || module.index.field(attribute, "attribute")?.text !== "get") return [];
    const call = module.index.parent(attribute);
    return call?.type === "call" && module.index.field(call, "function")?.id === attribute.id ? [call] : [];
  });
}

function isWithin(node: SyntaxNode, outer: SyntaxNode): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

/** Every use of the queue's binding is the binding itself, the site's hand-over, or one of the counted gets. */
function onlyUses(module: ModuleFacts, binding: Binding, handed: SyntaxNode, gets: SyntaxNode[]): boolean {
  const { index, model } = module;
  const getObjects = new Set(gets.map((g) => index.field(index.field(g, "function")!, "object")?.id));
  return index.identifiers(binding.name).every((id) => {
    if (!isNameRead(index, id)) return true;
    const reaching = model.bindingsReaching(id);
    // A use that some other binding of the name may reach is not this queue's (its scope has one binding).
    if (!reaching.some((b) => nodeId(b.node) === nodeId(binding.node) && b.position === binding.position)) return true;
    if (reaching.length !== 1) return false;
    return id.startIndex === binding.position || id.id === handed.id || getObjects.has(id.id);
  });
}
