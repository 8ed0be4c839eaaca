// The bootstrap obligation: under spawn (and forkserver) every child imports the program's
// main module again, as `__mp_main__`, and so re-runs each of its top-level statements that no
// main guard keeps out. Under fork the children ran none of them. The switch is safe only when
// every such statement is harmless when run again: it makes definitions, imports modules, binds
// names to values computed from known-pure calls, or configures the interpreter the same way
// the parent did. What prints, reads stdin, touches files, the network or other programs is a
// failure; a call whose effect is not known is unknown (never harmless).
import { type SyntaxNode, nodeStart } from "../parse";
import type { ModuleFacts } from "./module";
import type { Proof } from "./pickling";
import { isMainGuard } from "./model";
import { definitionIn, short } from "./pickling";
import { holds, outlineOf, statementStartingAt } from "./outline";

/** Calls whose re-run in every child changes what the program does, with why. */
const EFFECTS: Record<string, string> = {
  "builtins.print": "prints again",
  "builtins.input": "reads stdin, which is /dev/null in a spawned child (EOFError)",
  "builtins.exit": "ends the child", "builtins.quit": "ends the child", "sys.exit": "ends the child",
  "os.mkdir": "creates a folder again (FileExistsError)", "os.makedirs": "creates folders again",
  "os.remove": "removes a file again", "os.unlink": "removes a file again", "os.rmdir": "removes a folder again",
  "os.rename": "renames a file again", "os.replace": "renames a file again", "os.system": "runs a program again",
  "os.chdir": "changes the folder again", "os.kill": "sends a signal again",
  "shutil.rmtree": "removes a tree again", "shutil.copy": "copies files again", "shutil.copyfile": "copies files again",
  "shutil.copytree": "copies a tree again", "shutil.move": "moves files again",
  "subprocess.run": "runs a program again", "subprocess.call": "runs a program again", "subprocess.Popen": "runs a program again",
  "subprocess.check_call": "runs a program again", "subprocess.check_output": "runs a program again",
  "socket.socket": "opens a socket again", "socket.create_connection": "connects again",
  "urllib.request.urlopen": "makes a network request again", "requests.get": "makes a network request again",
  "requests.post": "makes a network request again",
  "sys.stdout.write": "prints again", "sys.stderr.write": "prints again", "pprint.pprint": "prints again",
  "logging.info": "logs again", "logging.warning": "logs again", "logging.error": "logs again",
  "logging.debug": "logs again", "logging.critical": "logs again", "logging.exception": "logs again",
  "builtins.breakpoint": "stops in the debugger",
};

/** Calls that compute a value or configure the interpreter the same way again: harmless when re-run. */
const PURE = new Set([
  ...["len", "range", "list", "dict", "set", "tuple", "frozenset", "int", "float", "complex", "str", "bytes", "bytearray", "bool",
    "sorted", "min", "max", "sum", "abs", "round", "enumerate", "zip", "map", "filter", "isinstance", "issubclass", "getattr",
    "hasattr", "repr", "format", "chr", "ord", "hex", "oct", "bin", "hash", "divmod", "pow", "any", "all", "reversed", "slice",
    "object", "property", "staticmethod", "classmethod", "iter", "type", "callable", "vars", "dir", "id", "memoryview", "ascii"]
    .map((n) => `builtins.${n}`),
  "os.getenv", "os.environ.get", "os.cpu_count", "os.getcwd", "os.fspath", "os.environ.copy", "os.environ.setdefault",
  "sys.path.insert", "sys.path.append", "sys.path.extend", "sys.getrecursionlimit", "sys.getdefaultencoding",
  "re.compile", "re.escape", "collections.namedtuple", "collections.defaultdict", "collections.OrderedDict",
  "collections.Counter", "collections.deque", "collections.ChainMap", "typing.NamedTuple", "typing.TypeVar", "typing.NewType",
  "typing.cast", "typing.Generic", "typing.Protocol", "enum.Enum", "enum.IntEnum", "enum.auto", "dataclasses.dataclass",
  "dataclasses.field", "functools.partial", "functools.lru_cache", "functools.wraps", "functools.reduce", "functools.cache",
  "functools.total_ordering", "functools.cached_property", "itertools.count", "itertools.cycle", "itertools.repeat",
  "itertools.chain", "itertools.product", "itertools.permutations", "itertools.combinations", "itertools.islice",
  "logging.getLogger", "logging.Formatter", "logging.StreamHandler", "logging.NullHandler", "logging.basicConfig",
  "logging.handlers.QueueHandler", "logging.handlers.QueueListener", "queue.SimpleQueue", "queue.LifoQueue", "queue.PriorityQueue",
  "warnings.filterwarnings", "warnings.simplefilter", "threading.Lock", "threading.RLock", "threading.Event",
  "threading.local", "queue.Queue", "multiprocessing.cpu_count", "multiprocessing.get_context", "multiprocessing.get_logger",
  "pathlib.Path", "pathlib.PurePath", "argparse.ArgumentParser", "decimal.Decimal", "fractions.Fraction",
  "struct.Struct", "string.Template", "datetime.timedelta", "datetime.datetime", "datetime.date", "uuid.UUID",
  // Settings the child makes again exactly as the parent made them at import.
  "socket.setdefaulttimeout", "random.seed", "numpy.random.seed", "torch.manual_seed", "sys.setrecursionlimit",
  "io.StringIO", "io.BytesIO", "time.sleep", "time.time", "time.monotonic", "time.perf_counter", "json.loads", "json.dumps", "math.sqrt", "math.floor", "math.ceil", "math.log", "math.exp", "operator.itemgetter",
  "operator.attrgetter", "operator.methodcaller", "types.SimpleNamespace", "abc.abstractmethod", "contextlib.contextmanager",
  // Reads of the file system, like `open(path)` for reading: the child reads what is there.
  "os.listdir", "os.scandir", "os.walk", "os.stat", "os.lstat", "os.access", "glob.glob", "glob.iglob", "fnmatch.filter",
  "fnmatch.fnmatch", "shutil.which",
]);

/** Methods harmless on any receiver the parent made the same way (argparse, loggers, strings, containers). */
const PURE_METHODS = new Set([
  "add_argument", "add_argument_group", "add_mutually_exclusive_group", "set_defaults", "parse_args", "parse_known_args",
  "setLevel", "addHandler", "setFormatter", "addFilter", "getLogger", "join", "format", "split", "strip", "replace", "lower",
  "upper", "startswith", "endswith", "encode", "decode", "items", "keys", "values", "get", "copy", "update", "append", "extend",
  "add", "setdefault", "resolve", "absolute", "joinpath", "with_suffix", "expanduser", "__getitem__", "register",
  // Reads of what a receiver the parent made the same way holds (a path, a file opened for reading).
  "exists", "is_file", "is_dir", "iterdir", "glob", "rglob", "read_text", "read_bytes", "read", "readlines", "stat",
]);

/** Modules whose functions a definition's decorator or default may call without an effect on output. */
const PURE_MODULES = new Set(["math", "operator", "typing", "dataclasses", "functools", "enum", "abc", "os.path", "posixpath", "string"]);

/**
 * The bootstrap proof of a program's main module: proved when every statement a spawned child
 * re-runs on import is harmless. `handled` holds the top-level statements that the fixes applied
 * with the switch keep out of the children (moved under the guard, or wrapped in `if __name__ !=
 * "__mp_main__"`); they are not re-run.
 */
export function bootstrapProof(module: ModuleFacts, handled: (statement: SyntaxNode) => boolean): Proof {
  // Processes started at top level start again in every child, before its bootstrapping ends.
  const starting = [...module.startingStatements].sort((a, b) => nodeStart(a) - nodeStart(b)).find((s) => !handled(s) && !isMainGuard(s));
  if (starting) return failed(module, starting, "starts processes again before the child's bootstrapping ends (RuntimeError)");
  // A function that runs nothing at import is proved without its node (on a large module, node objects cost more than the parse).
  const { statements, inert } = outlineOf(module.index);
  const staying = statements.filter((at) => !holds(inert, at)).map((at) => statementStartingAt(module.index, at)).filter((s) => !handled(s));
  return firstOpen(module, staying, 0) ?? { verdict: "proved", path: "", node: module.root, reason: "" };
}

function firstOpen(module: ModuleFacts, statements: SyntaxNode[], depth: number): Proof | null {
  let unknown: Proof | null = null;
  for (const statement of statements) {
    const open = statementProof(module, statement, depth);
    if (open?.verdict === "failed") return open;
    unknown ??= open;
  }
  return unknown;
}

function statementProof(module: ModuleFacts, statement: SyntaxNode, depth: number): Proof | null {
  switch (statement.type) {
    case "comment": case "import_statement": case "import_from_statement": case "future_import_statement":
    case "pass_statement": case "global_statement": case "nonlocal_statement": case "type_alias_statement":
    case "break_statement": case "continue_statement":
      return null;
    case "match_statement": {
      const subject = expressionProof(module, statement.childForFieldName("subject"), depth, false);
      if (subject?.verdict === "failed") return subject;
      const cases = statement.descendantsOfType("case_clause").filter((c) => nearestStatement(c) === statement);
      const guards = cases.map((c) => expressionProof(module, c.childForFieldName("guard"), depth, false)).find((p) => p) ?? null;
      return firstOpen(module, cases.flatMap((c) => c.childForFieldName("consequence")?.namedChildren ?? []), depth) ?? subject ?? guards;
    }
    case "function_definition":
      return definitionProof(module, statement, depth);
    case "class_definition":
      return definitionProof(module, statement, depth) ?? blockProof(module, statement.childForFieldName("body"), depth);
    case "decorated_definition": {
      for (const decorator of statement.namedChildren.filter((c) => c.type === "decorator")) {
        const open = expressionProof(module, decorator.namedChildren[0] ?? null, depth, true);
        if (open) return open;
      }
      return statementProof(module, statement.childForFieldName("definition")!, depth);
    }
    case "expression_statement":
      return statement.namedChildren.map((e) => expressionProof(module, e, depth, false)).find((p) => p) ?? null;
    case "assert_statement": case "delete_statement": case "return_statement":
      return statement.namedChildren.map((e) => expressionProof(module, e, depth, false)).find((p) => p) ?? null;
    case "if_statement": {
      // The main guard, and `if __name__ != "__mp_main__":`, keep their bodies out of the children.
      if (isMainGuard(statement) || /^__name__\s*!=\s*["']__mp_main__["']$/.test(statement.childForFieldName("condition")?.text ?? "")) return null;
      const parts: SyntaxNode[] = [];
      for (const child of statement.namedChildren) {
        if (child.type === "block") parts.push(...child.namedChildren);
        else if (child.type === "elif_clause" || child.type === "else_clause") parts.push(...child.namedChildren.flatMap((c) => (c.type === "block" ? c.namedChildren : [])));
      }
      const condition = expressionProof(module, statement.childForFieldName("condition"), depth, false);
      if (condition?.verdict === "failed") return condition;
      const elifConditions = statement.namedChildren.filter((c) => c.type === "elif_clause").map((c) => expressionProof(module, c.childForFieldName("condition"), depth, false));
      return firstOpen(module, parts, depth) ?? condition ?? elifConditions.find((p) => p) ?? null;
    }
    case "try_statement": case "with_statement": case "for_statement": case "while_statement": {
      const open = withOrLoopHead(module, statement, depth);
      if (open?.verdict === "failed") return open;
      const blocks = statement.descendantsOfType("block").filter((b) => nearestStatement(b) === statement);
      return firstOpen(module, blocks.flatMap((b) => b.namedChildren), depth) ?? open;
    }
    default:
      return unknown(module, statement, "a statement of a kind spawnsafe does not judge");
  }
}

/** The head of a with (its context managers) or a for (its iterable): run again like any expression. */
function withOrLoopHead(module: ModuleFacts, statement: SyntaxNode, depth: number): Proof | null {
  if (statement.type === "for_statement") return expressionProof(module, statement.childForFieldName("right"), depth, false);
  if (statement.type === "while_statement") return expressionProof(module, statement.childForFieldName("condition"), depth, false);
  if (statement.type !== "with_statement") return null;
  const clause = statement.namedChildren.find((c) => c.type === "with_clause");
  for (const item of clause?.namedChildren ?? []) {
    const value = item.childForFieldName("value") ?? item.namedChildren[0];
    const expr = value?.type === "as_pattern" ? value.namedChildren[0] : value;
    // `with open(path) as f:` reads; opened for writing it writes again.
    if (expr?.type === "call" && qualified(module, expr) === "builtins.open" && !opensForWriting(expr)) continue;
    const open = expressionProof(module, expr ?? null, depth, false);
    if (open) return open;
  }
  return null;
}

/** A definition runs its decorators, default values and base classes at import. */
function definitionProof(module: ModuleFacts, definition: SyntaxNode, depth: number): Proof | null {
  const parameters = definition.childForFieldName("parameters");
  for (const parameter of parameters?.namedChildren ?? []) {
    const value = parameter.childForFieldName("value");
    const open = value ? expressionProof(module, value, depth, true) : null;
    if (open) return open;
  }
  const bases = definition.childForFieldName("superclasses");
  for (const base of bases?.namedChildren ?? []) {
    const open = expressionProof(module, base.type === "keyword_argument" ? base.childForFieldName("value") : base, depth, true);
    if (open) return open;
  }
  return null;
}

function blockProof(module: ModuleFacts, block: SyntaxNode | null, depth: number): Proof | null {
  return block ? firstOpen(module, block.namedChildren, depth) : null;
}

/**
 * Whether evaluating an expression again in the child is harmless: null when it is, else the
 * proof that is open. `lenient` for decorators, defaults and bases, where a call of this
 * module's own function or of a pure module's is harmless.
 */
function expressionProof(module: ModuleFacts, expr: SyntaxNode | null, depth: number, lenient: boolean): Proof | null {
  if (!expr) return null;
  if (expr.type === "lambda") return null;
  if (expr.type === "call") {
    const open = callProof(module, expr, depth, lenient);
    if (open) return open;
    const args = expr.childForFieldName("arguments");
    return args ? expressionProof(module, args, depth, lenient) : null;
  }
  if (/^(assignment|augmented_assignment)$/.test(expr.type)) {
    // `__main__.X = v` while a spawned child imports the program: its `__main__` is then
    // multiprocessing's bootstrap, not the program, and the write lands elsewhere.
    let target = expr.childForFieldName("left");
    while (target && (target.type === "attribute" || target.type === "subscript")) target = target.childForFieldName(target.type === "attribute" ? "object" : "value");
    if (target?.type === "identifier" && module.model.qualifiedName(target) === "__main__") {
      return unknown(module, expr, "it writes into `__main__`, which in a spawned child is not the program while it is imported");
    }
    return expressionProof(module, expr.childForFieldName("right"), depth, lenient);
  }
  for (const child of expr.namedChildren) {
    const open = expressionProof(module, child, depth, lenient);
    if (open) return open;
  }
  return null;
}

function callProof(module: ModuleFacts, call: SyntaxNode, depth: number, lenient: boolean): Proof | null {
  const callee = call.childForFieldName("function");
  const qname = qualified(module, call);
  // `os.makedirs(path, exist_ok=True)` finds what the parent made: the same either way.
  if (qname === "os.makedirs" && /\bexist_ok\s*=\s*True\b/.test(call.childForFieldName("arguments")?.text ?? "")) return null;
  if (qname && EFFECTS[qname]) return failed(module, call, EFFECTS[qname]);
  if (qname === "builtins.open") {
    if (opensForWriting(call)) return failed(module, call, "opens a file for writing again");
    // `open(0)`, `open("/dev/stdin")`: stdin, which is /dev/null in a spawned child.
    const file = call.childForFieldName("arguments")?.namedChildren[0];
    const stdin = file?.type === "integer" || /^[rbuRBU]*["']\/dev\/(stdin|fd\/0)["']$/.test(file?.text ?? "");
    return stdin ? unknown(module, call, "may read stdin, which is /dev/null in a spawned child") : null;
  }
  if (qname === "builtins.exec" || qname === "builtins.eval") return unknown(module, call, "runs code spawnsafe cannot read");
  if (qname && PURE.has(qname)) return null;
  if (qname && (PURE_MODULES.has(qname.slice(0, qname.lastIndexOf("."))) || /^typing\./.test(qname))) return null;
  // multiprocessing's factories make processes or objects: the site analysis judges those.
  if (qname && /^(multiprocessing|concurrent\.futures|torch\.multiprocessing)\./.test(qname) && !/Manager$/.test(qname)) return null;
  const value = module.model.valueOf(callee);
  if (value?.kind === "contextMember" || value?.kind === "context") return null;
  // A function or class this module defines: what it runs when called.
  if (value?.kind === "definition") {
    if (value.node.type === "class_definition") return lenient ? null : classCallProof(module, value.node, call, depth);
    if (depth >= 3) return unknown(module, call, "calls functions too deep to follow");
    return blockProof(module, value.node.childForFieldName("body"), depth + 1);
  }
  // `Config.configure(7)`: a method of a class of this module, run again with the same arguments.
  if (callee?.type === "attribute") {
    const owner = module.model.valueOf(callee.childForFieldName("object"));
    const name = callee.childForFieldName("attribute")?.text;
    const body = owner?.kind === "definition" && owner.node.type === "class_definition" ? owner.node.childForFieldName("body") : null;
    const found = body && name ? definitionIn(body, name) : null;
    const method = found?.type === "function_definition" ? found : null;
    if (method) return depth >= 3 ? unknown(module, call, "calls functions too deep to follow") : blockProof(module, method.childForFieldName("body"), depth + 1);
  }
  // `parser.add_argument(...)`, `log.setLevel(...)`, `"x".join(...)`: methods that compute or configure.
  if (callee?.type === "attribute") {
    const method = callee.childForFieldName("attribute")?.text ?? "";
    const receiver = callee.childForFieldName("object");
    const receiverValue = module.model.valueOf(receiver);
    const fromModule = receiverValue?.kind === "qualified" && !receiverValue.qname.startsWith("builtins.");
    if (PURE_METHODS.has(method) && !fromModule) return expressionProof(module, receiver, depth, lenient);
  }
  if (lenient && value?.kind === "qualified" && !value.qname.startsWith("builtins.")) return null;
  return unknown(module, call, "what it does is not known");
}

/** A class of this module called at module level: its `__init__` runs (without one, only object's). */
function classCallProof(module: ModuleFacts, cls: SyntaxNode, call: SyntaxNode, depth: number): Proof | null {
  const body = cls.childForFieldName("body");
  const bases = cls.childForFieldName("superclasses")?.namedChildren ?? [];
  if (bases.length > 0) return unknown(module, call, "makes an instance of a class with bases, whose construction is not followed");
  const init = body?.namedChildren.find((s) => s.type === "function_definition" && s.childForFieldName("name")?.text === "__init__");
  if (!init) return null;
  if (depth >= 3) return unknown(module, call, "calls functions too deep to follow");
  return blockProof(module, init.childForFieldName("body"), depth + 1);
}

function qualified(module: ModuleFacts, call: SyntaxNode): string | null {
  const name = module.model.qualifiedName(call.childForFieldName("function"));
  return name ? module.model.canonicalName(name) : null;
}

function opensForWriting(call: SyntaxNode): boolean {
  const args = call.childForFieldName("arguments")?.namedChildren ?? [];
  const mode = args.find((a) => a.type === "keyword_argument" && a.childForFieldName("name")?.text === "mode")?.childForFieldName("value") ?? (args[1]?.type !== "keyword_argument" ? args[1] : undefined);
  if (!mode) return false;
  if (mode.type !== "string") return true;
  return /[wax+]/.test(mode.text.replace(/^[a-zA-Z]*["']/, ""));
}

function nearestStatement(block: SyntaxNode): SyntaxNode | null {
  let at = block.parent;
  while (at && /_clause$|^block$/.test(at.type)) at = at.parent;
  return at;
}

function failed(module: ModuleFacts, node: SyntaxNode, what: string): Proof {
  const line = module.lines.position(node.startIndex).line;
  return { verdict: "failed", path: "", node, reason: `a spawned child imports the program again as \`__mp_main__\` and re-runs line ${line} (\`${short(node)}\`), which ${what}` };
}

function unknown(module: ModuleFacts, node: SyntaxNode, what: string): Proof {
  const line = module.lines.position(node.startIndex).line;
  return { verdict: "unknown", path: "", node, reason: `a spawned child imports the program again as \`__mp_main__\` and re-runs line ${line} (\`${short(node)}\`): ${what}` };
}

/** A call that computes a value or sets up the interpreter the same way each time it runs. */
export function isPureCall(qname: string): boolean {
  return PURE.has(qname) || PURE_MODULES.has(qname.slice(0, qname.lastIndexOf("."))) || /^typing\./.test(qname);
}
