// The state obligation: what the children's code reads must not be changed by the parent at
// run time. A forked child has the parent's memory as it was at the start; a spawned child
// imports the modules afresh and has what their import makes. So the proof is a meeting of two
// sets: the module-level names the child's code reads (transitively over this module's
// functions), and the roots of the state the parent's run-time code changes (its main guard,
// the functions it calls, or, for a library, any function a program may call). Every form of
// change counts: assignment through `global`, under the guard, to an attribute or an item
// (`A.x = v`, `A[k] = v`), a mutating method (`REGISTRY.append(f)`), `setattr`, `next(it)`,
// `import __main__; __main__.X = v`, a class attribute set through `cls` or `type(obj)`, a
// mutable default filled as a cache, a seed or setting of a library's state. `globals()`,
// `vars()`, `exec`, a project module imported at run time or an interpreter-wide setting
// (recursion limit, warnings filters, decimal context, `sys.modules`) may change anything: they
// leave the obligation unknown whatever the child reads.
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import type { Proof } from "./pickling";
import type { Value } from "./model";
import { methodsOf, short } from "./pickling";
import { isMainGuard } from "./model";
import { isNameRead } from "./globals";
import { roleOf } from "./bindings";
import { isPureCall } from "./bootstrap";
import { workerUses } from "./worker-functions";
import { environChange, environEffect, type EnvironChange } from "./environ";
import { definitionNames } from "./outline";

/** A change the parent makes: the root it changes ("*" for anything), and where. */
export interface Change {
  root: string;
  node: SyntaxNode;
  /** For a change of os.environ (root ENVIRON): what it changes. */
  environ?: EnvironChange;
}

/** The root of a change to os.environ: the child reads it through `os` (src/python/environ.ts). */
const ENVIRON = "os.environ";

/** Methods that read their object and leave it as it is. */
const READING = new Set([
  "get", "keys", "values", "items", "copy", "count", "index", "format", "join", "split", "strip", "startswith", "endswith",
  "lower", "upper", "replace", "encode", "decode", "__getitem__", "__contains__", "__len__", "read", "readline", "readlines",
  "exists", "is_file", "is_dir", "resolve", "__enter__", "__exit__", "find", "rfind", "isdigit", "isalpha", "hex", "tolist",
  "iterdir", "glob", "rglob", "stat", "read_text", "read_bytes", "absolute", "expanduser", "joinpath", "with_suffix", "with_name",
  "map", "imap", "imap_unordered", "starmap", "apply", "apply_async", "map_async", "starmap_async", "submit", "result",
  "start", "join", "close", "terminate", "shutdown", "wait", "is_alive", "get_nowait", "qsize", "empty", "full", "done",
  "isEnabledFor", "getEffectiveLevel",
]);

/** Library functions whose call changes that library's state, which a spawned child does not inherit. */
const LIBRARY_STATE = new Set([
  "random.seed", "random.setstate", "numpy.random.seed", "numpy.random.set_state", "torch.manual_seed", "torch.set_num_threads",
  "numpy.set_printoptions", "pandas.set_option", "socket.setdefaulttimeout", "locale.setlocale", "os.umask",
  "logging.disable", "logging.setLoggerClass", "logging.captureWarnings", "codecs.register", "mimetypes.add_type",
  "copyreg.pickle", "atexit.register", "signal.signal", "json.JSONEncoder",
]);

/** Interpreter-wide settings: a spawned child has the defaults, whatever its code reads. */
const INTERPRETER = new Set([
  "sys.setrecursionlimit", "sys.setswitchinterval", "sys.settrace", "sys.setprofile", "sys.set_int_max_str_digits",
  "warnings.filterwarnings", "warnings.simplefilter", "warnings.resetwarnings", "decimal.setcontext", "decimal.localcontext",
  "gc.disable", "gc.set_threshold", "faulthandler.enable", "builtins.globals", "builtins.vars", "builtins.exec", "builtins.eval",
  "importlib.import_module", "importlib.reload", "builtins.__import__", "sys.modules.__setitem__", "sys.modules.update",
  "sys.modules.setdefault", "sys.modules.pop",
]);

/**
 * The state proof of the child code `functions`: unknown when the parent's run-time code may
 * change a root they read, else proved. `parentCode` holds the parent's run-time code: main guard
 * bodies and functions.
 */
export function stateProof(module: ModuleFacts, functions: SyntaxNode[], parentCode: SyntaxNode[], method: "spawn" | "forkserver" = "forkserver"): Proof | null {
  // A change of the environment: none when a spawned child sees it as a forked one does (src/python/environ.ts).
  const program = module.mainGuards.length > 0 || module.startingStatements.size > 0;
  const changes = changesIn(module, parentCode).flatMap((c) => {
    if (c.root !== ENVIRON) return [c];
    const effect = environEffect(module, c.environ!, method, program, () => importTimeCode(module));
    return effect === "none" ? [] : [{ root: effect, node: c.node }];
  });
  if (changes.length === 0) return null;
  const anything = changes.find((c) => c.root === "*");
  const reads = readsOf(module, functions);
  const line = (n: SyntaxNode) => module.lines.position(n.startIndex).line;
  if (anything) {
    return {
      verdict: "unknown", path: "", node: anything.node,
      reason: `the parent runs \`${short(anything.node)}\` (line ${line(anything.node)}) before or while its children run, which may change any state they read; a spawned child has the state of a fresh import`,
    };
  }
  for (const change of changes) {
    const read = reads.get(change.root);
    if (!read) continue;
    return {
      verdict: "unknown", path: "", node: read,
      reason: `the child reads \`${change.root}\` (line ${line(read)}), which the parent changes at run time (line ${line(change.node)}, \`${short(change.node)}\`): a forked child sees the change, a spawned one the value of a fresh import`,
    };
  }
  return null;
}

/**
 * The parent's run-time code in a module: for a program, its main guards and the functions
 * they reach; for a library, every function (a program may call any of them) but the worker
 * entries themselves, which `entries` names.
 */
export function parentCode(module: ModuleFacts, entries: SyntaxNode[], isProgram: boolean): SyntaxNode[] {
  if (!isProgram) {
    const skip = new Set(entries.map(nodeId));
    return definitionsOf(module, "def").filter((f) => !skip.has(nodeId(f)));
  }
  // Statements a guard fix moves are run-time code too: what starts processes at top level.
  return closureOf(module, [...module.mainGuards, ...module.startingStatements]);
}

/** Every change the code makes to state that outlives it (`root` "*" for what may change anything). */
export function changesIn(module: ModuleFacts, code: SyntaxNode[]): Change[] {
  // Each block's changes are worked out once: the sites of a library share most of their parent code.
  return code.flatMap((block) => module.index.memo(`changesOf:${nodeId(block)}`, () => {
    const changes: Change[] = [];
    for (const node of [block, ...changingNodes(module, block)]) changes.push(...changesBy(module, node, block));
    return changes;
  }));
}

/** The nodes of a block that may change state, in source order: one walk of it per module (a closure's calls are among them). */
function changingNodes(module: ModuleFacts, block: SyntaxNode): SyntaxNode[] {
  return module.index.memo(`changingNodes:${nodeId(block)}`, () => block.descendantsOfType(["assignment", "augmented_assignment", "call",
    "delete_statement", "import_statement", "import_from_statement", "global_statement", "function_definition"]));
}

function changesBy(module: ModuleFacts, node: SyntaxNode, block: SyntaxNode): Change[] {
  const environ = environChange(module, node);
  if (environ) return [{ root: ENVIRON, node, environ }];
  switch (node.type) {
    case "assignment": case "augmented_assignment": {
      const left = node.childForFieldName("left");
      return left ? targetsOf(left).flatMap((t) => rootsOfTarget(module, t, node, block)) : [];
    }
    case "delete_statement":
      return node.namedChildren.flatMap((t) => targetsOf(t)).flatMap((t) => rootsOfTarget(module, t, node, block));
    case "import_statement": case "import_from_statement": {
      // A project module imported by a program at run time may register into the state the
      // children read (a library's lazy imports are its own business: its program is not known).
      if (!isProgramCode(module, block)) return [];
      const names = node.type === "import_statement" ? node.namedChildren.map((n) => (n.type === "aliased_import" ? n.childForFieldName("name") : n)) : [node.childForFieldName("module_name")];
      const project = new Set(module.model.project.packages);
      const own = module.model.project.moduleName?.split(".")[0];
      for (const name of names) {
        const top = name?.text.replace(/^\.+/, "").split(".")[0] ?? "";
        if ((name?.text.startsWith(".") ?? false) || project.has(top) || top === own) return [{ root: "*", node }];
      }
      return [];
    }
    case "function_definition": {
      // A mutable default filled at run time (`def f(x, cache={})`): the function's own state.
      const name = node.childForFieldName("name")?.text;
      const body = node.childForFieldName("body");
      for (const parameter of node.childForFieldName("parameters")?.namedChildren ?? []) {
        const value = parameter.childForFieldName("value");
        const param = parameter.childForFieldName("name")?.text;
        if (!value || !param || !/^(dictionary|list|set|call)$/.test(value.type) || !body || !name) continue;
        const mutated = body.descendantsOfType(["subscript", "attribute"]).some((n) => n.childForFieldName(n.type === "subscript" ? "value" : "object")?.text === param);
        if (mutated) return [{ root: name, node: parameter }];
      }
      return [];
    }
    case "call":
      return callChanges(module, node, block);
    default:
      return [];
  }
}

/** The methods of a logger that emit a record. */
const LOG_RECORDS = new Set(["debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"]);

/** The methods of a context that change what multiprocessing does next. */
const CONTEXT_SETTERS = new Set(["set_start_method", "set_executable", "set_forkserver_preload", "allow_connection_pickling"]);

/** Calls that return a new object of their own (a copy, never shared state such as `logging.getLogger`'s). */
const FRESH = new Set([
  ...["list", "dict", "set", "tuple", "sorted", "str", "bytes", "bytearray", "frozenset"].map((n) => `builtins.${n}`),
  ...["array", "zeros", "ones", "empty", "full", "arange", "linspace", "eye", "copy", "concatenate", "stack", "vstack", "hstack"].map((n) => `numpy.${n}`),
  "pandas.DataFrame", "pandas.Series", "pandas.read_csv", "collections.Counter", "collections.deque", "collections.OrderedDict",
  ...["Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath"].map((n) => `pathlib.${n}`),
  "io.StringIO", "io.BytesIO", "datetime.datetime", "datetime.date", "datetime.timedelta", "decimal.Decimal", "fractions.Fraction",
]);

function callChanges(module: ModuleFacts, call: SyntaxNode, block: SyntaxNode): Change[] {
  const { model } = module;
  const callee = module.index.field(call, "function");
  const named = calleeValue(module, call);
  const qname = named?.kind === "qualified" || named?.kind === "definition" ? named.qname : null;
  const canonical = qname ? model.canonicalName(qname) : null;
  if (canonical && INTERPRETER.has(canonical)) return [{ root: "*", node: call }];
  if (canonical && LIBRARY_STATE.has(canonical)) return [{ root: canonical.split(".")[0], node: call }];
  if (canonical === "builtins.setattr" || canonical === "builtins.delattr" || canonical === "builtins.next") {
    const first = call.childForFieldName("arguments")?.namedChildren[0];
    return first ? rootsOfTarget(module, first, call, block, true) : [];
  }
  if (callee?.type !== "attribute") return [];
  const method = callee.childForFieldName("attribute")?.text ?? "";
  const object = callee.childForFieldName("object");
  if (!object || READING.has(method)) return [];
  // A logger's records (`log.info(...)`) change nothing a child reads of it (its level, its handlers).
  const made = model.valueOf(object);
  if (LOG_RECORDS.has(method) && made?.kind === "instance" && made.of.kind === "qualified" && model.canonicalName(made.of.qname) === "logging.getLogger") return [];
  // A context makes new objects (`get_context().Pool(...)`, `ctx.Queue()`); only its setters change multiprocessing.
  if (made?.kind === "context") return CONTEXT_SETTERS.has(method) ? [{ root: "multiprocessing", node: call }] : [];
  // A method of a new object a known maker returns (`np.array(xs).reshape(...)`, `sorted(xs).pop()`) changes only it.
  if (object.type === "call") {
    const maker = model.qualifiedName(object.childForFieldName("function"));
    if (maker && FRESH.has(model.canonicalName(maker))) return [];
  }
  // A function of an imported module is not a change of it, but a method of one of its objects may be
  // (`decimal.getcontext().traps.clear()` goes through what a call returned: an object of the library's).
  if (made?.kind === "qualified" && !isProjectModule(module, made.qname) && object.type !== "call" && object.descendantsOfType("call").length === 0) return [];
  // `decimal.getcontext().prec = ...` is an assignment; `getcontext().traps[...]`, `logging.getLogger(...).setLevel(...)`: library state.
  return rootsOfTarget(module, object, call, block, true);
}

/** What a call's callee is, asked of the model once per call: the parent code's closure and its changes both ask. */
function calleeValue(module: ModuleFacts, call: SyntaxNode): Value | null {
  return module.index.memo(`calleeValue:${nodeId(call)}`, () => module.model.valueOf(module.index.field(call, "function")));
}

/** The names an assignment's target writes: `a, b = ...`, `[x, *y] = ...`. */
function targetsOf(left: SyntaxNode): SyntaxNode[] {
  if (/^(pattern_list|tuple_pattern|list_pattern|expression_list|tuple|list|parenthesized_expression)$/.test(left.type)) return left.namedChildren.flatMap(targetsOf);
  if (left.type === "list_splat_pattern") return left.namedChildren.flatMap(targetsOf);
  return [left];
}

/**
 * The state root a write through `target` changes: a module-level name (assigned under the
 * guard or through `global`, or whose attribute or item is set), an imported module's name
 * (`config.DEBUG = True`), a name of the program's main module (`__main__.X = v`), or "*" for
 * what cannot be told (`type(obj).attr = v`, `sys.modules[...] = m`). Nothing for the code's
 * own locals and for `self`'s attributes (instance state is pickled with the instance).
 */
function rootsOfTarget(module: ModuleFacts, target: SyntaxNode, node: SyntaxNode, block: SyntaxNode, viaObject = false): Change[] {
  const { model, index } = module;
  let at = target;
  let depth = 0;
  while (at.type === "attribute" || at.type === "subscript" || (at.type === "call" && depth > 0)) {
    const inner = at.type === "attribute" ? at.childForFieldName("object") : at.type === "subscript" ? at.childForFieldName("value") : at.childForFieldName("function");
    if (!inner) return [];
    // `sys.modules[...]`: the interpreter's table of modules, whatever is done through it.
    if (at.type === "attribute" && at.childForFieldName("attribute")?.text === "modules" && inner.type === "identifier" && model.qualifiedName(inner) === "sys") {
      return [{ root: "*", node }];
    }
    if (at.type === "attribute" && inner.type === "identifier" && inner.text === "__main__") {
      const attr = at.childForFieldName("attribute")?.text;
      return attr ? [{ root: attr, node }] : [];
    }
    at = inner;
    depth++;
  }
  if (at.type === "call") {
    // `type(obj).x = v`, `globals()[k] = v`, `getcontext().prec = v`: through what a call returns.
    const qname = model.qualifiedName(at.childForFieldName("function"));
    if (qname && /^builtins\.(type|globals|vars|locals)$/.test(qname)) return [{ root: "*", node }];
    if (qname && !qname.startsWith("builtins.")) return [{ root: qname.split(".")[0], node }];
    return [];
  }
  if (at.type !== "identifier") return [];
  const direct = depth === 0 && !viaObject;
  const bindings = model.bindingsReaching(at);
  const binding = bindings[0];
  if (!binding) return direct ? [] : [{ root: at.text, node }];
  if (binding.scope.kind === "module") {
    if (binding.kind === "import") {
      const qname = binding.qname ?? at.text;
      if (qname === "sys" && index.field(target, "attribute")?.text === "modules") return [{ root: "*", node }];
      if (qname === "__main__") return [];
      return [{ root: isProjectModule(module, qname) ? at.text : qname.split(".")[0], node }];
    }
    // A module-level name: bound at run time under the guard, through `global`, or changed in place.
    if (direct && model.scopeOf(node).kind === "module" && !model.guardOf(node)) return [];
    if (direct && sameAtImport(module, at.text, node, block)) return [];
    return [{ root: at.text, node }];
  }
  // `cls.x = v` in a classmethod: the class's state.
  if (binding.kind === "parameter" && at.text === "cls") {
    let scope = binding.scope.parent;
    while (scope && scope.kind !== "class") scope = scope.parent;
    const name = scope ? index.field(scope.node, "name")?.text : null;
    return name ? [{ root: name, node }] : [{ root: "*", node }];
  }
  // `self.__class__.x = v`.
  if (binding.kind === "parameter" && target.text.includes("__class__")) return [{ root: "*", node }];
  return [];
}

/**
 * `table = load()` under the guard where the guard's `else:` (which spawned children run, as
 * `__mp_main__`) binds the same name to the same expression: the child computes it too.
 */
function sameAtImport(module: ModuleFacts, name: string, assignment: SyntaxNode, guard: SyntaxNode): boolean {
  const value = assignment.childForFieldName("right")?.text;
  const consequence = guard.childForFieldName("consequence");
  if (!value || !consequence || assignment.type !== "assignment" || !isMainGuard(guard)) return false;
  return module.model.bindingsIn(module.model.scopes.module, name).some((b) =>
    b.value?.text === value && !(b.node.startIndex >= consequence.startIndex && b.node.endIndex <= consequence.endIndex) && b.node.startIndex > guard.startIndex && b.node.endIndex <= guard.endIndex);
}

function isProgramCode(module: ModuleFacts, block: SyntaxNode): boolean {
  return module.mainGuards.length > 0 || module.startingStatements.size > 0 || isMainGuard(block);
}

/** A name of the project's own code: its top part is a project module or package. */
export function isProjectModule(module: ModuleFacts, qname: string): boolean {
  const top = qname.split(".")[0];
  const { packages, moduleName, packageName } = module.model.project;
  return packages.includes(top) || moduleName?.split(".")[0] === top || packageName?.split(".")[0] === top;
}

/**
 * The module-level roots the child code reads, each with a place it reads it: names of this
 * module, imported names (by their module's top name for libraries, by name for project
 * modules), the functions themselves (their mutable defaults), their classes.
 */
function readsOf(module: ModuleFacts, functions: SyntaxNode[]): Map<string, SyntaxNode> {
  const reads = new Map<string, SyntaxNode>();
  for (const fn of functions) {
    for (const [root, node] of module.index.memo(`readsOf:${nodeId(fn)}`, () => readsOfFunction(module, fn))) if (!reads.has(root)) reads.set(root, node);
  }
  return reads;
}

/** The roots one function reads (readsOf's part for it). */
function readsOfFunction(module: ModuleFacts, fn: SyntaxNode): Map<string, SyntaxNode> {
  const { model, index } = module;
  const reads = new Map<string, SyntaxNode>();
  {
    const name = fn.childForFieldName("name");
    if (name) reads.set(name.text, name);
    // A method reads its class's attributes through self.
    const cls = fn.parent?.parent?.type === "class_definition" ? fn.parent.parent.childForFieldName("name") : null;
    if (cls && !reads.has(cls.text)) reads.set(cls.text, cls);
    const body = fn.childForFieldName("body");
    for (const id of body?.descendantsOfType("identifier") ?? []) {
      if (!isNameRead(index, id) || roleOf(index, id).role !== "read") continue;
      const binding = model.bindingsReaching(id)[0];
      if (!binding || binding.scope.kind !== "module") continue;
      if (!reads.has(id.text)) reads.set(id.text, id);
      if (binding.kind === "import" && binding.qname) {
        const top = binding.qname.split(".")[0];
        if (!reads.has(top)) reads.set(top, id);
      }
      // Reading a class of this module reads its attributes.
    }
  }
  return reads;
}

/**
 * Whether statements that a guard fix moves out of the children's import set up nothing their
 * code reads: every name they bind and every root they change (through the same-file
 * functions they call, too) is outside what the children read, and every call they make is
 * one whose effect is known (a pure or output-only call, the process API, a method of a name,
 * a function of this module). `childReads` are the roots the children's code reads.
 */
export function movedSetsUpNothing(module: ModuleFacts, moved: SyntaxNode[], childReads: Set<string>): boolean {
  const code = closureOf(module, moved);
  const roots = new Set<string>();
  for (const statement of moved) {
    for (const id of statement.descendantsOfType("identifier")) {
      const binding = module.model.bindingsReaching(id)[0];
      // Names the moved code binds at module level are made only in the parent now.
      if (binding?.scope.kind === "module" && binding.position === id.startIndex) roots.add(id.text);
    }
  }
  for (const change of changesIn(module, code)) {
    // Moved code's environment changes: what reads them at import then reads them in another order.
    if (change.root === "*" || change.root === ENVIRON) return false;
    roots.add(change.root);
  }
  for (const root of roots) if (childReads.has(root)) return false;
  return code.every((block) => block.descendantsOfType("call").every((call) => knownEffect(module, call)));
}

/** The roots the children's code reads (names of this module, imported modules' tops). */
export function childReadRoots(module: ModuleFacts, functions: SyntaxNode[]): Set<string> {
  return new Set(readsOf(module, functions).keys());
}

/**
 * The code the module runs at import: its top-level statements (a main guard only with an
 * `else`), a function's defaults and decorators, class bodies, and what they call.
 */
function importTimeCode(module: ModuleFacts): SyntaxNode[] {
  const top = module.statements.flatMap((statement) => {
    if (isMainGuard(statement) && !statement.childForFieldName("alternative")) return [];
    const definition = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
    if (definition?.type !== "function_definition") return [statement];
    const decorators = statement.type === "decorated_definition" ? statement.namedChildren.filter((c) => c.type === "decorator") : [];
    const parameters = definition.childForFieldName("parameters");
    return [...decorators, ...(parameters ? [parameters] : [])];
  });
  return closureOf(module, top);
}

/** The code a set of statements runs: themselves and the same-file functions they call, transitively. */
function closureOf(module: ModuleFacts, statements: SyntaxNode[]): SyntaxNode[] {
  const found = new Map<number, SyntaxNode>();
  const queue = [...statements];
  while (queue.length > 0) {
    const code = queue.pop()!;
    if (found.has(nodeId(code))) continue;
    found.set(nodeId(code), code);
    for (const call of changingNodes(module, code)) {
      if (call.type !== "call") continue;
      const callee = module.index.field(call, "function");
      const value = calleeValue(module, call);
      if (value?.kind === "definition") queue.push(...parentPartOf(module, value.node));
      // `obj.method(...)`: every method of this module by that name.
      const name = callee?.type === "attribute" ? callee.childForFieldName("attribute")?.text : null;
      if (name) for (const fn of methodsNamed(module, name)) queue.push(fn);
    }
    // A function of this module handed on as a value (`map(add, xs)`, `sorted(key=f)`, a
    // callback) may run in the parent; the tasks and targets handed to creation sites run in
    // the children.
    for (const ref of definitionReferences(module, code)) queue.push(ref);
  }
  return [...found.values()];
}

/** The module's functions and classes that the code names other than by calling them or handing them to a creation site. */
function definitionReferences(module: ModuleFacts, code: SyntaxNode): SyntaxNode[] {
  const { index, model } = module;
  // Read with a cursor: a node object for each of a large module's definitions costs more than its parse (src/python/outline.ts).
  const names = index.memo("definitionNames", () => new Set([...definitionNames(index, "def"), ...definitionNames(index, "class")]));
  const handed = index.memo("handedToSites", () => new Set(workerUses(module).map((use) => use.expr.id)));
  const found: SyntaxNode[] = [];
  for (const id of code.descendantsOfType("identifier")) {
    if (!names.has(id.text) || handed.has(id.id) || !isNameRead(index, id) || roleOf(index, id).role !== "read") continue;
    const holder = index.parent(id);
    if (holder?.type === "call" && index.field(holder, "function")?.id === id.id) continue;
    const value = model.valueOf(id);
    if (value?.kind === "definition") found.push(value.node);
  }
  return found;
}

/**
 * The code a call of a definition runs in the parent: a function; a class's body but, for a
 * subclass of multiprocessing's Process and nothing else, its `run`, which start() runs in
 * the child (a call `w.run()` in the parent reaches it by name). Any other class whole: its
 * bases may call any of its methods.
 */
function parentPartOf(module: ModuleFacts, definition: SyntaxNode): SyntaxNode[] {
  if (definition.type !== "class_definition") return [definition];
  const bases = module.index.field(definition, "superclasses")?.namedChildren.filter((b) => b.type !== "comment") ?? [];
  const onlyProcess = bases.length === 1 && module.sites.some((s) => s.kind === "ProcessSubclass" && s.node.id === bases[0].id);
  const body = module.index.field(definition, "body");
  if (!onlyProcess || !body) return [definition];
  const isRun = (member: SyntaxNode) => member.type === "function_definition" && member.childForFieldName("name")?.text === "run";
  return body.namedChildren.filter((member) => !isRun(member));
}

/** A call whose effect on state is known: what changesIn sees is all it changes. */
function knownEffect(module: ModuleFacts, call: SyntaxNode): boolean {
  const callee = call.childForFieldName("function");
  const value = module.model.valueOf(callee);
  if (value?.kind === "definition" || value?.kind === "context" || value?.kind === "contextMember") return true;
  const qname = value?.kind === "qualified" ? module.model.canonicalName(value.qname) : null;
  // A method of a class of this module: its code is in the closure.
  const own = module.model.project.moduleName;
  if (qname && own && qname.startsWith(`${own}.`)) return true;
  if (qname && (isPureCall(qname) || /^(multiprocessing\.|concurrent\.futures\.|builtins\.super\b)/.test(qname) || qname === "builtins.print")) return true;
  if (qname && (INTERPRETER.has(qname) || LIBRARY_STATE.has(qname))) return true;
  // A method of a name or of what a call made (`res.append(x)`, `conn.recv()`): changesIn counts the name.
  if (callee?.type === "attribute" && value?.kind !== "qualified") return true;
  return false;
}

/** The methods of this module's classes named `name`, decorated ones too (one map of them per module). */
export function methodsNamed(module: ModuleFacts, name: string): SyntaxNode[] {
  const byName = module.index.memo("methodsByName", () => {
    const map = new Map<string, SyntaxNode[]>();
    for (const cls of definitionsOf(module, "class")) {
      for (const method of methodsOf(cls)) {
        const key = method.childForFieldName("name")?.text ?? "";
        map.set(key, [...(map.get(key) ?? []), method]);
      }
    }
    return map;
  });
  return byName.get(name) ?? [];
}

/**
 * The module's function or class definitions, in source order (a walk of the whole tree, as
 * descendantsOfType makes, costs more than the parse on a large module): each starts at its
 * keyword, or holds it after `async`, so the tree is asked at each `def` or `class` word.
 */
function definitionsOf(module: ModuleFacts, keyword: "def" | "class"): SyntaxNode[] {
  const type = keyword === "def" ? "function_definition" : "class_definition";
  return module.index.memo(`definitions:${keyword}`, () =>
    module.index.keywords(keyword).map((k) => module.index.parent(k)).filter((n): n is SyntaxNode => n?.type === type));
}
