// What a creation site hands to its children under spawn but not under fork, and whether
// spawnsafe can show the children still get it: the proof each fix of a site stands on.
//
// Under fork a child inherits the parent's memory: the Process object, its target (and the
// instance behind a bound method), its arguments, a pool's initializer and initargs. Under
// spawn each is pickled, and the child imports the modules afresh: module state the parent
// set up at run time is not there. Each obligation is proved, failed (with the object, where
// it is made and CPython's error) or unknown (a parameter, another module's state).
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import { argument } from "./literals";
import { callsNamed } from "./source-index";
import { Prover, changeOf, combine, loopValues, methodsOf, short, startedAfter, type Proof } from "./pickling";
import { taskDeferral } from "./task-deferral";
import { classOfBase, placeOf, poolEscape, unwrapPartial, workerUses } from "./worker-functions";
import { roleOf } from "./bindings";
import { isNameRead } from "./globals";
import type { Value } from "./model";
import { SEMLOCK_KINDS } from "./vocabulary";
import { childReadRoots, isProjectModule, methodsNamed, parentCode, stateProof } from "./state";
import { contextDependence } from "./choices";
import { receivesFromEach } from "./rendezvous";
import { shortWait } from "./deadlines";
import { registryTargets } from "./registries";
import { STDLIB } from "./environ";

/** Where each creation kind receives what it hands to its children: keyword, position, and how it is used. */
const HANDED: Record<string, Array<{ keyword: string; position: number; role: "callable" | "value"; label: string }>> = {
  Process: [
    { keyword: "target", position: 1, role: "callable", label: "target" },
    { keyword: "args", position: 3, role: "value", label: "args" },
    { keyword: "kwargs", position: 4, role: "value", label: "kwargs" },
  ],
  Pool: [
    { keyword: "initializer", position: 1, role: "callable", label: "initializer" },
    { keyword: "initargs", position: 2, role: "value", label: "initargs" },
  ],
  ProcessPoolExecutor: [
    { keyword: "initializer", position: 2, role: "callable", label: "initializer" },
    { keyword: "initargs", position: 3, role: "value", label: "initargs" },
  ],
};

export interface SiteProof {
  /** failed: some obligation fails; unknown: none fails but some cannot be told; proved: all hold. */
  verdict: Proof["verdict"];
  /**
   * The obligations that are not proved, failed ones first: the first decides. Only what is
   * handed over can fail, so the others are worked out only when all of that is proved.
   */
  open: Proof[];
}

/** The proof of one creation site (kept per module). */
export function siteProof(module: ModuleFacts, site: CreationSite, method: "spawn" | "forkserver" = "forkserver"): SiteProof {
  return module.index.memo(`siteProof:${nodeId(site.node)}:${method}`, () => {
    const prover = new Prover(module);
    const handed = handedOver(module, site, prover);
    // Unknowns on parameters of a function that every call in the project proves (src/python/deferred.ts).
    const discharged = new Set(module.model.project.discharged ?? []);
    const own = module.model.project.moduleName;
    const proved = (p: Proof) => !!p.deferred && p.deferred.every((d) => discharged.has(`${own}.${d.fn.childForFieldName("name")?.text}`));
    const settled = (p: Proof) => p.verdict === "proved" || (p.verdict === "unknown" && discharged.size > 0 && proved(p));
    // The state analysis is the costly part: not asked for when its answer cannot change the verdict or its reason
    // (it gives unknowns only, and the first open obligation is the one reported).
    const proofs = handed.every(settled) ? [...handed, ...childState(module, site, method), ...unjoinedSyncArguments(module, site)] : handed;
    const failed = proofs.filter((p) => p.verdict === "failed");
    const unknown = proofs.filter((p) => p.verdict === "unknown" && !(discharged.size > 0 && proved(p)));
    return { verdict: failed.length ? "failed" : unknown.length ? "unknown" : "proved", open: [...failed, ...unknown] };
  });
}

/** The proofs of what the site pickles under spawn: its arguments, or a Process subclass's instances. */
export function handedOver(module: ModuleFacts, site: CreationSite, prover = new Prover(module)): Proof[] {
  if (site.method === "fork") return [];
  if (site.kind === "ProcessSubclass") {
    const cls = classOfBase(site.node);
    const name = cls?.childForFieldName("name")?.text;
    if (!cls || !name) return [];
    const creations = callsNamed(module.index, [name]).filter((call) => {
      const value = module.model.valueOf(module.index.field(call, "function"));
      return value?.kind === "definition" && nodeId(value.node) === nodeId(cls);
    });
    // An instance changed after it is made (\`w.lock = Lock()\`) pickles what the change put in.
    for (const creation of creations) {
      const holder = module.index.parent(creation);
      const target = holder?.type === "assignment" ? module.index.field(holder, "left") : null;
      const changed = target?.type === "identifier" ? changeOf(module, target) : null;
      if (changed) return [unknown(`the \`${name}\` instance`, changed, `\`${target!.text}\` is changed after it is made (line ${module.lines.position(changed.startIndex).line}, \`${short(changed)}\`): what it holds then is not followed`)];
    }
    return [prover.instance(cls, `the \`${name}\` instance (pickled at start())`, creations.length ? creations : null, 0)];
  }
  if (site.node.type !== "call") return [];
  // A project's pool subclass that defines methods may hand its workers what its own code chooses.
  if (site.via.form === "subclass") {
    const method = site.via.cls.childForFieldName("body")?.descendantsOfType("function_definition")[0];
    const name = site.via.cls.childForFieldName("name")?.text;
    if (method) {
      return [unknown("", method, `the pool is made by \`${name}\`, a subclass that defines \`${method.childForFieldName("name")?.text}\` (line ${module.lines.position(method.startIndex).line}): what it hands to its workers is not followed`)];
    }
  }
  const proofs: Proof[] = [];
  // A Process started right after it is made pickles what it is handed there: later changes do not reach it.
  const handover = site.kind === "Process" ? startedAfter(module, site.node) : null;
  for (const { keyword, position, role, label } of HANDED[site.kind] ?? []) {
    const given = argument(site.node, keyword, position);
    if (!given) continue;
    proofs.push(prover.handedOverAt(handover, () => prover.value(given, label, role)));
  }
  return proofs;
}

/**
 * A Lock, Queue, Event... handed to a Process that the code starting it does not join. A
 * spawned child rebuilds it by name when it starts, and the parent removes that name when the
 * object goes away or the program ends (multiprocessing's exit handlers run before they join
 * the children): `FileNotFoundError` in `SemLock._rebuild`. A forked child inherits it. When a
 * `join()` follows the start in the same function (or at module level), the parent waits and
 * keeps the object alive; so does a parent that gets an item from each child (rendezvous.ts).
 * Anything else is not followed.
 */
export function unjoinedSyncArguments(module: ModuleFacts, site: CreationSite): Proof[] {
  if (site.kind !== "Process" || site.method === "fork" || site.node.type !== "call") return [];
  const handed: SyntaxNode[] = [];
  for (const [keyword, position] of [["args", 3], ["kwargs", 4]] as const) {
    const given = argument(site.node, keyword, position);
    if (!given) continue;
    const inner = given.type === "dictionary" ? given.namedChildren.map((pair) => pair.childForFieldName("value")) : /^(tuple|list|parenthesized_expression)$/.test(given.type) ? given.namedChildren : [given];
    for (const expr of inner) if (expr && expr.type !== "comment") handed.push(expr);
  }
  const sync = handed.find((expr) => isSyncObject(module.model.valueOf(expr)));
  // Made anew on each pass of a loop that starts a child: rebinding the name drops the object the last
  // child got, maybe before that child rebuilt it (Process.start() lets go of its arguments), join or not.
  const dropped = handed.find((expr) => isSyncObject(module.model.valueOf(expr)) && droppedInLoop(module, expr, site.node));
  if (dropped) {
    return [unknown("", dropped,
      `\`${dropped.text}\` (line ${module.lines.position(dropped.startIndex).line}) is a multiprocessing lock or queue made anew on each pass of the loop that starts the children, and nothing else keeps it: rebinding drops the one the last child got, maybe before that child has rebuilt it (FileNotFoundError in SemLock._rebuild; a forked child inherits it)`)];
  }
  if (!sync || joinedAfter(module, site.node) || receivesFromEach(module, site)) return [];
  return [unknown("", sync,
    `\`${sync.text}\` (line ${module.lines.position(sync.startIndex).line}) is a multiprocessing lock or queue, which a spawned child rebuilds by name when it starts; no \`join()\` follows the start here, and when the parent drops it or the program ends first, the child fails with FileNotFoundError in SemLock._rebuild (a forked child inherits it)`)];
}

/**
 * Whether `expr` names an object bound in a loop around the site that is kept nowhere else in that
 * loop (`events.append(event)`, `self.events[i] = event` keep it): the next pass drops it.
 */
function droppedInLoop(module: ModuleFacts, expr: SyntaxNode, site: SyntaxNode): boolean {
  const { index, model } = module;
  if (expr.type !== "identifier") return false;
  const bindings = model.bindingsReaching(expr);
  if (bindings.length !== 1 || bindings[0].kind !== "assignment") return false;
  let loop: SyntaxNode | null = null;
  for (let up = index.parent(bindings[0].node); up && !/^(function_definition|lambda|module)$/.test(up.type); up = index.parent(up)) {
    if (/^(for_statement|while_statement)$/.test(up.type) && up.startIndex <= site.startIndex && site.endIndex <= up.endIndex) loop = up;
  }
  if (!loop) return false;
  const kept = index.identifiersWithin(expr.text, loop.startIndex, loop.endIndex).some((id) => {
    const list = index.parent(id);
    const holder = list?.type === "argument_list" ? index.parent(list) : null;
    const callee = holder?.type === "call" ? index.field(holder, "function") : null;
    if (callee?.type === "attribute" && /^(append|add|extend|insert|put|setdefault)$/.test(index.field(callee, "attribute")?.text ?? "")) return true;
    const assignment = list?.type === "assignment" && index.field(list, "right")?.id === id.id ? list : null;
    return !!assignment && index.field(assignment, "left")?.type !== "identifier";
  });
  return !kept;
}

/** An obligation that cannot be told; `path` empty for a fact of the program that nothing hands over. */
function unknown(path: string, node: SyntaxNode, reason: string): Proof {
  return { verdict: "unknown", path, node, reason };
}

/** An instance of Queue, Lock, Event... from multiprocessing or a context. */
function isSyncObject(value: Value | null): boolean {
  if (value?.kind !== "instance") return false;
  const of = value.of;
  if (of.kind === "contextMember") return SEMLOCK_KINDS.has(of.member);
  return of.kind === "qualified" && of.qname.startsWith("multiprocessing.") && SEMLOCK_KINDS.has(of.qname.slice(of.qname.lastIndexOf(".") + 1));
}

/** Whether a `.join(...)` call on something other than a string follows the node in its scope. */
function joinedAfter(module: ModuleFacts, node: SyntaxNode): boolean {
  // The function (or module) the start runs in: a comprehension that makes the processes ends before the loop that joins them.
  let at = module.model.scopeOf(node);
  while (at.parent && at.kind !== "function" && at.kind !== "module") at = at.parent;
  const scope = at.node;
  return callsNamed(module.index, ["join"]).some((call) => {
    if (call.startIndex < node.endIndex || call.endIndex > scope.endIndex) return false;
    // A join with a timeout may return at once; one under an \`if\`, \`while\` or \`try\` may not run.
    const args = module.index.field(call, "arguments")?.namedChildren.filter((a) => a.type !== "comment") ?? [];
    if (args.length > 0 && !(args.length === 1 && /^(timeout\s*=\s*)?None$/.test(args[0].text))) return false;
    // Up to the statement both share: the start's own \`if\` (the main guard) does not count.
    const around = new Set<number>();
    for (let up = module.index.parent(node); up; up = module.index.parent(up)) around.add(up.id);
    for (let up = module.index.parent(call); up && up.id !== scope.id && !around.has(up.id); up = module.index.parent(up)) {
      if (/^(if_statement|while_statement|try_statement|conditional_expression|boolean_operator|lambda)$/.test(up.type)) return false;
    }
    const callee = module.index.field(call, "function");
    const object = callee?.type === "attribute" ? module.index.field(callee, "object") : null;
    return !!object && !/^(string|concatenated_string)$/.test(object.type);
  });
}

/**
 * State the children read that the parent may have set at run time, which spawned children do
 * not get: names of the project's other modules that the child code reads or calls (their
 * state is not followed: unknown), and logging the parent configures (its handlers are not
 * inherited). Globals of this module are global-only-in-main's (SPS203), a hazard of its own.
 */
export function childState(module: ModuleFacts, site: CreationSite, method: "spawn" | "forkserver" = "forkserver"): Proof[] {
  if (site.method === "fork" || !site.startsProcesses) return [];
  const { functions, unresolved } = childCode(module, site);
  // What the parent's run-time code changes (src/python/state.ts).
  const program = module.mainGuards.length > 0 || module.startingStatements.size > 0;
  // The parent's code is the same for every site of a program; a library's leaves out the site's own entries.
  const parent = program ? module.index.memo("parentCode:program", () => parentCode(module, [], true)) : parentCode(module, functions, false);
  const { reads, rest } = codeState(module, functions, parent, site.kind !== "Process" && site.kind !== "ProcessSubclass", true, method);
  const proofs = [...reads];
  // A task whose code is not known (a parameter, what a call returns): what it reads in the child cannot be told.
  // A parameter of the module-level function around the site is its callers' to prove (src/python/deferred.ts).
  const unknownTask = unresolved[0];
  if (unknownTask) {
    const deferral = taskDeferral(module, site, unresolved);
    const deferred = deferral ? { deferred: deferral } : {};
    proofs.push({ ...unknown("", unknownTask,
      `the children run \`${short(unknownTask)}\` (line ${module.lines.position(unknownTask.startIndex).line}), whose code is not known here: whether it reads state the parent set up at run time cannot be told`), ...deferred });
  }
  // A Process subclass used other than by making its instances (a context's \`Process = Cls\`, an
  // argument, a base): processes made through it, a pool's workers among them, are not followed.
  const loose = site.kind === "ProcessSubclass" ? classEscape(module, site) : null;
  if (loose) {
    proofs.push(unknown("", loose,
      `the Process subclass is used as \`${short(module.index.parent(loose) ?? loose)}\` (line ${module.lines.position(loose.startIndex).line}), beyond making its instances: the processes made through it (a pool's workers, another context's) are not followed`));
  }
  // A pool whose object goes where it is not followed: the tasks its children run are not known.
  const escape = poolEscape(module, site);
  if (escape) {
    proofs.push(unknown("", escape,
      `the ${site.kind === "Pool" ? "pool" : "executor"} made on line ${module.lines.position(site.node.startIndex).line} is used as \`${short(escape)}\` (line ${module.lines.position(escape.startIndex).line}), where the tasks handed to its children are not followed`));
  }
  return [...proofs, ...rest];
}

/**
 * The state and identity proofs of child code `functions` of this module against the parent's
 * run-time code `parent`: `reads`, the module state the code reads (other project modules',
 * what the parent changes), then `rest`, the program's facts a spawned child sees otherwise
 * (the start method read, a definition under the guard, for a pool, process names, Django,
 * logging). A site's children and a caller's task handed to another module's site alike.
 */
export function codeState(
  module: ModuleFacts,
  functions: SyntaxNode[],
  parent: SyntaxNode[],
  pool: boolean,
  switched = true,
  method: "spawn" | "forkserver" = "forkserver",
): { reads: Proof[]; rest: Proof[] } {
  const proofs: Proof[] = [];
  const seen = new Set<string>();
  const packages = new Set(module.model.project.packages);
  const own = module.model.project.moduleName?.split(".")[0] ?? null;
  let logging = false;
  for (const fn of functions) {
    const body = fn.childForFieldName("body");
    if (!body) continue;
    const fnName = fn.childForFieldName("name")?.text;
    // The names each function reads, with their bindings, are worked out once per module: the sites share most functions.
    const reads = module.index.memo(`childReads:${nodeId(fn)}`, () => body.descendantsOfType("identifier")
      .filter((id) => isNameRead(module.index, id) && roleOf(module.index, id).role === "read")
      .map((id) => ({ id, bindings: module.model.bindingsReaching(id) })));
    for (const { id, bindings } of reads) {
      const global = !seen.has(id.text) && bindings.length > 0 && bindings[0].scope.kind === "module" && !bindings.some((b) => b.position === id.startIndex);
      const differs = global ? globalDiffers(module, id.text) : null;
      if (differs) {
        seen.add(id.text);
        proofs.push(unknown(`\`${id.text}\` in \`${fnName}\``, id, differs));
        continue;
      }
      const imported = bindings.find((b) => b.kind === "import" && b.qname);
      if (!imported?.qname) continue;
      const top = imported.qname.split(".")[0];
      if (top === "logging") logging = true;
      const project = packages.has(top) || (own !== null && top === own);
      // `settings.CONF_PATH`, `env.replicas`: state another module keeps, read where the parent may have set it.
      const parent = module.index.parent(id);
      const readsAttribute = parent?.type === "attribute" && parent.childForFieldName("object")?.id === id.id && module.index.parent(parent)?.type !== "call";
      const fromImported = imported.node.type === "import_from_statement";
      if (!(project || (readsAttribute && fromImported))) continue;
      if (seen.has(id.text)) continue;
      seen.add(id.text);
      const what = project ? `project module code or state (\`${imported.qname}\`)` : `\`${imported.qname}\`, an object another module keeps`;
      proofs.push(unknown(`\`${id.text}\` in \`${fnName}\``, id,
        `the child reads ${what}, which a spawned child imports afresh: whether the parent set it up at run time is not followed`));
    }
  }
  // What the children read that the parent's run-time code changes (src/python/state.ts).
  const state = stateProof(module, functions, parent, method);
  if (state) proofs.push(state);
  const reads = proofs.splice(0);
  // Identity: the program asks which start method it runs under, and the switch changes the answer.
  // (`switched` false: another module's site gets its own context, and this module's default stays.)
  const asks = switched ? contextDependence(module).find((call) => /get_start_method/.test(call.text)) : undefined;
  if (asks) {
    proofs.push(unknown("", asks,
      `the program reads the start method (\`${short(asks)}\`, line ${module.lines.position(asks.startIndex).line}), and the switch changes what it answers`));
  }
  // A wait with a short timeout: spawned workers start later, and what finished in time may not.
  const wait = shortWait(module, functions);
  if (wait) {
    proofs.push(unknown("", wait,
      `the program waits for its workers with a short timeout (\`${short(wait)}\`, line ${module.lines.position(wait.startIndex).line}): a spawned worker starts a fresh interpreter and imports the program first, and what finished in time under fork may not`));
  }
  // A class or function defined under the main guard: a spawned child, which imports the program
  // as \`__mp_main__\` without running the guard, cannot find it when it is handed over.
  const guarded = definedUnderGuard(module);
  if (guarded && pool) {
    proofs.push(unknown("", guarded,
      `\`${guarded.childForFieldName("name")?.text}\` is defined under the main guard (line ${module.lines.position(guarded.startIndex).line}): a task or item that refers to it cannot be unpickled in a spawned child, which does not run the guard`));
  }
  const names = processNameRead(module);
  if (names) {
    proofs.push(unknown("", names,
      `the module reads a process's name (\`${names.text}\`, line ${module.lines.position(names.startIndex).line}), and names follow the start method: \`ForkPoolWorker-1\` becomes \`SpawnPoolWorker-1\`, and \`Process-1\` from a spawn context \`SpawnProcess-1\``));
  }
  // The child imports the module its code is defined in; Django's models need django.setup() first.
  for (const [name, qname] of module.model.moduleImports()) {
    if (!/^django\./.test(qname) || !/\.models(\.|$)/.test(qname)) continue;
    const binding = module.model.bindingsIn(module.model.scopes.module, name)[0];
    proofs.push(unknown(`the import of \`${qname}\``, binding?.node ?? module.root,
      `a spawned child imports this module, and importing Django models needs \`django.setup()\`, which only the parent ran`));
    break;
  }
  if (logging) {
    const configured = loggingConfiguration(module);
    if (configured) {
      proofs.push(unknown("logging", configured,
        `the parent configures logging (line ${module.lines.position(configured.startIndex).line}, \`${configured.text.split("(")[0]}(...)\`): spawned children do not inherit its handlers, so their log lines may go elsewhere`));
    }
  }
  return { reads, rest: proofs };
}

/**
 * Functions whose result differs between a process and the one it starts: a global set from
 * one at import holds the parent's value in a forked child, and its own in a spawned one.
 */
const PER_PROCESS = new Set([
  "os.getpid", "os.getppid", "os.urandom", "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns",
  "time.perf_counter", "time.perf_counter_ns", "time.process_time", "datetime.datetime.now", "datetime.datetime.utcnow",
  "datetime.datetime.today", "datetime.date.today", "uuid.uuid1", "uuid.uuid4", "random.random", "random.randint",
  "random.randrange", "random.choice", "random.choices", "random.uniform", "random.getrandbits", "random.sample",
  "random.randbytes", "random.gauss", "secrets.token_hex", "secrets.token_bytes", "secrets.token_urlsafe",
  "secrets.randbelow", "secrets.choice", "threading.get_ident", "threading.get_native_id", "threading.current_thread",
  "multiprocessing.current_process", "tempfile.mkdtemp", "tempfile.mkstemp",
  "tempfile.TemporaryDirectory", "tempfile.NamedTemporaryFile",
]);

/**
 * Why a module global a child reads may hold another value in a spawned child than in a
 * forked one, or null: it is bound only under the main guard while a star import may bind it
 * too (SPS203 cannot tell), or it is computed at import from the process's own state.
 */
function globalDiffers(module: ModuleFacts, name: string): string | null {
  return module.index.memo(`globalDiffers:${name}`, () => {
    const { model } = module;
    const line = (node: SyntaxNode) => module.lines.position(node.startIndex).line;
    const direct = model.bindingsIn(model.scopes.module, name).filter((b) => b.declaredIn === null);
    if (direct.length === 0) return null;
    if (direct.every((b) => placeOf(model, b) === "mainGuard") && model.hasStarImport()) {
      const star = model.bindings.starImportsIn(model.scopes.module)[0];
      return `it is bound only under the main guard (line ${line(direct[0].node)}), which a spawned child does not run; \`from ${star} import *\` may bind it at import, which is not followed`;
    }
    for (const binding of direct) {
      if (placeOf(model, binding) !== "module" || !binding.value) continue;
      const calls = binding.value.type === "call" ? [binding.value, ...binding.value.descendantsOfType("call")] : binding.value.descendantsOfType("call");
      for (const call of calls) {
        const qname = model.qualifiedName(module.index.field(call, "function"));
        if (qname && PER_PROCESS.has(model.canonicalName(qname))) {
          return `it is computed when the module is imported (line ${line(binding.node)}, \`${short(call)}\`): a forked child has the parent's value, a spawned child computes its own`;
        }
      }
    }
    return null;
  });
}

/** The first class or function the module defines under a main guard, or null. */
function definedUnderGuard(module: ModuleFacts): SyntaxNode | null {
  for (const guard of module.mainGuards) {
    const consequence = guard.childForFieldName("consequence");
    const found = consequence?.descendantsOfType(["function_definition", "class_definition"])[0];
    if (found) return found;
  }
  return null;
}

/** Where the module reads a process's name (`current_process().name`, `parent_process().name`), or null. */
function processNameRead(module: ModuleFacts): SyntaxNode | null {
  return module.index.memo("processNameRead", () => {
    for (const call of callsNamed(module.index, ["current_process", "parent_process"])) {
      const qname = module.model.qualifiedName(module.index.field(call, "function"));
      if (qname !== "multiprocessing.current_process" && qname !== "multiprocessing.parent_process") continue;
      const parent = module.index.parent(call);
      if (parent?.type === "attribute" && module.index.field(parent, "attribute")?.text === "name") return parent;
    }
    return null;
  });
}

/**
 * The functions of this module whose code runs in the site's children, with the same-file
 * functions and methods they call (to a fixpoint; a method call `x.m()` takes every method of
 * this module named `m`), and the handed-over code that could not be resolved to any of them.
 */
function childCode(module: ModuleFacts, site: CreationSite): { functions: SyntaxNode[]; unresolved: SyntaxNode[] } {
  return module.index.memo(`childCode:${nodeId(site.node)}`, () => {
    const { model, index } = module;
    const found = new Map<number, SyntaxNode>();
    const unresolved: SyntaxNode[] = [];
    const add = (fn: SyntaxNode | null) => {
      if (fn?.type === "function_definition" && !found.has(nodeId(fn))) found.set(nodeId(fn), fn);
      return fn?.type === "function_definition";
    };
    const defOf = (expr: SyntaxNode | null): SyntaxNode | null => {
      if (!expr) return null;
      const value = model.valueOf(unwrapPartial(module, expr));
      return value?.kind === "definition" && value.node.type === "function_definition" ? value.node : null;
    };
    const classMethods = (cls: SyntaxNode) => methodsOf(cls).forEach(add);
    if (site.kind === "ProcessSubclass") {
      const cls = classOfBase(site.node);
      if (cls) classMethods(cls);
    }
    const uses = workerUses(module).filter((use) => use.site === site).flatMap((use) => {
      // A loop variable over a literal table of functions: each of them.
      const looped = use.expr.type === "identifier" ? loopValues(module, use.expr) : null;
      return looped ? looped.map((expr) => ({ expr })) : [{ expr: use.expr }];
    });
    for (const use of uses) {
      const expr = unwrapPartial(module, use.expr);
      if (add(defOf(expr))) continue;
      const registered = registryTargets(module, expr);
      if (registered && registered.length > 0) {
        registered.forEach(add);
        continue;
      }
      // An instance of a class of this module as the function (`submit(run_check(...))`): its methods run.
      const made = model.valueOf(expr);
      if (made?.kind === "instance" && made.of.kind === "definition" && made.of.node.type === "class_definition") {
        classMethods(made.of.node);
        continue;
      }
      // `self.method`, `obj.method`: the methods of this module by that name (the instance's class among them).
      if (expr.type === "attribute") {
        const methods = methodsNamed(module, index.field(expr, "attribute")?.text ?? "");
        methods.forEach(add);
        if (methods.length > 0) continue;
      }
      // A builtin or a library's function (`abs`, `math.sqrt`) runs no code of the project; a
      // function of another project module does, and what it reads is not followed here.
      // A function of a module outside the project and the standard library (`helpers.wrapper`)
      // handed code with its items (`(func, x)`, func a parameter) runs that code: not followed.
      if (made?.kind === "qualified" && !isProjectModule(module, made.qname) && !knownLibrary(made.qname) && handsCode(module, use.expr)) {
        unresolved.push(use.expr);
        continue;
      }
      if (made?.kind === "qualified" && !isProjectModule(module, made.qname)) continue;
      if (made?.kind === "qualified" && !projectStateTouched(module)) continue;
      unresolved.push(use.expr);
    }
    // What each function's calls reach is worked out once per module: the closures of a module's sites share most functions.
    const callsOf = (fn: SyntaxNode) => index.memo(`childCalls:${nodeId(fn)}`, () => fn.descendantsOfType("call").map((call) => {
      const callee = call.childForFieldName("function");
      // A call through a registry the module fills at import (`HANDLERS[name](x)`): the functions registered.
      const registered = callee?.type === "subscript" || callee?.type === "call" ? registryTargets(module, callee) ?? [] : [];
      const targets = [defOf(callee), ...(callee?.type === "attribute" ? methodsNamed(module, index.field(callee, "attribute")?.text ?? "") : []), ...registered];
      return { call, targets, handed: targets.every((t) => !t) && handedIn(module, callee) };
    }));
    for (let batch = [...found.values()]; batch.length > 0; ) {
      const next: SyntaxNode[] = [];
      for (const fn of batch) {
        for (const { call, targets, handed } of callsOf(fn)) {
          for (const target of targets) {
            if (target && !found.has(nodeId(target)) && add(target)) next.push(target);
          }
          if (handed) unresolved.push(call);
        }
      }
      batch = next;
    }
    return { functions: [...found.values()], unresolved };
  });
}

/**
 * Whether the other arguments of the call a task is handed to carry code: a parameter, a lambda,
 * or a function or class of this module (`pool.imap(wrapper, ((func, x) for x in xs))`).
 */
function handsCode(module: ModuleFacts, task: SyntaxNode): boolean {
  const list = module.index.parent(task);
  const call = list?.type === "argument_list" ? module.index.parent(list) : null;
  if (!call || !list) return true;
  const seen = new Set<number>();
  // A value carries code when it holds a lambda or names one, directly or through the locals it reads (`args_iter = (...)`).
  const carries = (value: SyntaxNode): boolean => {
    if (seen.has(value.id)) return false;
    seen.add(value.id);
    if (value.type === "lambda" || value.descendantsOfType("lambda").length > 0) return true;
    for (const id of [value, ...value.descendantsOfType("identifier")]) {
      if (id.type !== "identifier" || !isNameRead(module.index, id)) continue;
      for (const b of module.model.bindingsReaching(id)) {
        if (b.kind === "parameter" || b.kind === "def" || b.kind === "class") return true;
        if (b.scope.kind !== "module" && b.value && carries(b.value)) return true;
      }
    }
    return false;
  };
  return list.namedChildren.some((arg) => arg.id !== task.id && carries(arg));
}

/** Builtins and the standard library's modules whose functions read nothing a program sets up in them. */
function knownLibrary(qname: string): boolean {
  const top = qname.split(".")[0];
  return top === "builtins" || STDLIB.has(top) || KNOWN_STDLIB.has(top);
}

const KNOWN_STDLIB = new Set(["zlib", "binascii", "unicodedata", "cmath", "hmac", "gzip", "bz2", "lzma", "html", "difflib", "fnmatch",
  "posixpath", "ntpath", "calendar", "numbers", "pprint", "reprlib", "colorsys", "secrets", "zipfile", "tarfile", "urllib", "email", "os"]);

/**
 * A callee in the children's code that is code they were handed or computed, not code this
 * module names: a parameter or a local (`func(item)` after `func, item = args`), what a call or
 * a subscript gives (`HANDLERS[k](x)`, `getattr(o, n)()`), or an attribute the module stores as
 * data (`self.func = func`, then `self.func(x)`). What it reads in the child is not known. A method
 * of an object the module does not store code in (`items.append(x)`) is a library's.
 */
function handedIn(module: ModuleFacts, callee: SyntaxNode | null): boolean {
  if (!callee) return false;
  if (callee.type === "identifier") {
    // A name bound nowhere here is a builtin or one a star import binds: code of a module, not handed over.
    if (module.model.bindingsReaching(callee).length === 0) return false;
    // What a call made (`f = functools.partial(helper, 1)`, `make = getattr(m, n)`) runs code not named here.
    const value = module.model.valueOf(callee);
    return value === null || value.kind === "expression" || value.kind === "instance";
  }
  if (callee.type !== "attribute") return callee.type !== "parenthesized_expression" || handedIn(module, callee.namedChildren[0] ?? null);
  const owner = module.model.valueOf(module.index.field(callee, "object"));
  if (owner?.kind === "qualified" || (owner?.kind === "instance" && owner.of.kind === "qualified")) return false;
  return isStoredAttribute(module, module.index.field(callee, "attribute")?.text ?? "");
}

/**
 * Whether this module assigns the attribute `name` on an object (`self.func = ...`, `job.run = ...`):
 * an attribute spelled so, not itself the object of one, in the target of an assignment.
 * Asked at each place the name is written (a walk of the whole module costs more than its parse).
 */
function isStoredAttribute(module: ModuleFacts, name: string): boolean {
  const { index } = module;
  return index.memo(`storedAttribute:${name}`, () => index.identifiers(name).some((id) => {
    const target = index.parent(id);
    if (target?.type !== "attribute" || index.field(target, "attribute")?.id !== id.id || index.parent(target)?.type === "attribute") return false;
    // Up to the statement: the target holds it, or some expression of the target does.
    for (let at: SyntaxNode = target, up = index.parent(at); up && !/^(module|block|.*_statement|.*_definition)$/.test(up.type); at = up, up = index.parent(up)) {
      if (up.type === "assignment" && index.field(up, "left")?.id === at.id) return true;
    }
    return false;
  }));
}

/**
 * A call that configures logging in the parent so that children's records are seen there
 * (`logging.basicConfig(...)`, `logger.addHandler(FileHandler(...))`), or null. A handler
 * whose records no child can reach anyway is left out: a NullHandler, and a QueueHandler over
 * a thread queue (a forked child puts its records in its own copy of the queue).
 */
function loggingConfiguration(module: ModuleFacts): SyntaxNode | null {
  const { model, index } = module;
  const qnameOf = (expr: SyntaxNode | null) => {
    const value = model.valueOf(expr);
    const of = value?.kind === "instance" ? value.of : value;
    return of?.kind === "qualified" ? of.qname : null;
  };
  for (const call of callsNamed(index, ["basicConfig", "dictConfig", "fileConfig", "addHandler"])) {
    const callee = index.field(call, "function");
    const name = callee?.type === "attribute" ? callee.childForFieldName("attribute")?.text : callee?.text;
    if (name !== "addHandler") {
      if (qnameOf(callee)?.startsWith("logging")) return call;
      continue;
    }
    const handler = argument(call, "hdlr", 0);
    const kind = qnameOf(handler);
    if (kind === "logging.NullHandler") continue;
    if (kind === "logging.handlers.QueueHandler" && handler) {
      const made = handler.type === "call" ? handler : null;
      const queue = made ? argument(made, "queue", 0) : null;
      if (queue && qnameOf(queue) === "queue.Queue") continue;
    }
    return call;
  }
  return null;
}

export { combine };

/**
 * The applicability of a fix that moves these sites to spawn: "safe" when every obligation
 * of every site is proved, "unsafe" with the first open one's reason otherwise (failed ones
 * are hazards: their findings hold such fixes back).
 */
export function moveApplicability(module: ModuleFacts, sites: CreationSite[], method: "spawn" | "forkserver" = "forkserver"): { applicability: "safe" | "unsafe"; why: string } {
  for (const site of sites) {
    const proof = siteProof(module, site, method);
    const open = proof.open.find((p) => p.verdict !== "proved");
    if (open) return { applicability: "unsafe", why: unsafeReason(module, open) };
  }
  return { applicability: "safe", why: "" };
}

/** The end of a message whose fix is unsafe: what spawnsafe cannot show. */
export function unsafeReason(module: ModuleFacts, proof: Proof): string {
  const line = module.lines.position(proof.node.startIndex).line;
  // Without a path the proof is about the program rather than something handed over: its reason says it all.
  if (!proof.path) return `; unsafe fix (applied with --unsafe-fixes): ${proof.reason}`;
  return `; unsafe fix (applied with --unsafe-fixes): under spawn ${proof.path} (line ${line}) must reach the child, and ${proof.reason}`;
}

/**
 * The roots every child of the module reads (src/python/state.ts), or null when the code some
 * child runs is not known.
 */
export function childReadsOfModule(module: ModuleFacts): Set<string> | null {
  const reads = new Set<string>();
  for (const site of module.sites) {
    if (!site.startsProcesses || site.method === "fork") continue;
    const { functions, unresolved } = childCode(module, site);
    if (unresolved.length > 0) return null;
    for (const root of childReadRoots(module, functions)) reads.add(root);
  }
  return reads;
}


/**
 * Whether the parent's run-time code of this module may change another project module's state:
 * it calls a function of a project module, or writes through one. A task that is another
 * project module's function reads that module's state, which is then the same after a fresh
 * import only when this module leaves it alone (what other modules do is their own proofs').
 */
function projectStateTouched(module: ModuleFacts): boolean {
  return module.index.memo("projectStateTouched", () => {
    const program = module.mainGuards.length > 0 || module.startingStatements.size > 0;
    const code = parentCode(module, [], program);
    for (const block of code) {
      for (const call of block.descendantsOfType("call")) {
        const qname = module.model.qualifiedName(call.childForFieldName("function"));
        if (qname && isProjectModule(module, qname) && module.model.valueOf(call.childForFieldName("function"))?.kind !== "definition") return true;
      }
      for (const node of block.descendantsOfType(["assignment", "augmented_assignment"])) {
        let target = node.childForFieldName("left");
        while (target && (target.type === "attribute" || target.type === "subscript")) target = target.childForFieldName(target.type === "attribute" ? "object" : "value");
        const qname = target ? module.model.qualifiedName(target) : null;
        if (qname && isProjectModule(module, qname)) return true;
      }
    }
    return false;
  });
}

/**
 * The first write the program's run-time code makes into another project module's state
 * (`work.FACTOR = 3`, `setattr(work, "FACTOR", 3)` under the guard), or null: a spawned child
 * imports that module afresh, so a library's processes that read it see its import-time value.
 */
export function projectStateWrite(module: ModuleFacts): SyntaxNode | null {
  return module.index.memo("projectStateWrite", () => {
    const program = module.mainGuards.length > 0 || module.startingStatements.size > 0;
    const own = module.model.project.moduleName;
    const other = (node: SyntaxNode | null) => {
      const qname = node ? module.model.qualifiedName(node) : null;
      return !!qname && isProjectModule(module, qname) && qname !== own && module.model.valueOf(node)?.kind === "qualified";
    };
    for (const block of parentCode(module, [], program)) {
      for (const node of block.descendantsOfType(["assignment", "augmented_assignment"])) {
        let target = node.childForFieldName("left");
        if (target?.type !== "attribute" && target?.type !== "subscript") continue;
        while (target && (target.type === "attribute" || target.type === "subscript")) target = target.childForFieldName(target.type === "attribute" ? "object" : "value");
        if (other(target)) return node;
      }
      for (const call of block.descendantsOfType("call")) {
        const callee = module.model.qualifiedName(call.childForFieldName("function"));
        if ((callee === "builtins.setattr" || callee === "builtins.delattr") && other(argument(call, "", 0))) return call;
      }
    }
    return null;
  });
}

/** A read of a Process subclass's name other than a call that makes an instance, or null. */
function classEscape(module: ModuleFacts, site: CreationSite): SyntaxNode | null {
  return module.index.memo(`classEscape:${nodeId(site.node)}`, () => findClassEscape(module, site));
}

function findClassEscape(module: ModuleFacts, site: CreationSite): SyntaxNode | null {
  const cls = classOfBase(site.node);
  const name = cls?.childForFieldName("name");
  if (!cls || !name) return null;
  for (const id of module.index.identifiers(name.text)) {
    if (id.id === name.id || !isNameRead(module.index, id) || roleOf(module.index, id).role !== "read") continue;
    const value = module.model.valueOf(id);
    if (value?.kind !== "definition" || nodeId(value.node) !== nodeId(cls)) continue;
    const parent = module.index.parent(id);
    if (parent?.type === "call" && module.index.field(parent, "function")?.id === id.id) continue;
    return id;
  }
  return null;
}
