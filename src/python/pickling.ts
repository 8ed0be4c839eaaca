// Whether a value can be handed to a spawned child: spawn pickles it (fork does not), so a
// value is *proved* when spawnsafe can show it pickles (plain data, a module-level function
// or class, an instance whose every attribute is proved), *failed* when it is known not to
// (an open file, a lock, a lambda: with CPython's own error) and *unknown* otherwise (a
// parameter, what another function returns, a third-party object).
import { type SyntaxNode, nodeId } from "../parse";
import type { ModuleFacts } from "./module";
import type { Binding, Value } from "./model";
import { argument, stringLiteral } from "./literals";
import { callsNamed } from "./source-index";
import { PICKLABLE_CALLS, UNPICKLABLE, openError } from "./unpicklable";
import { CONTEXT_FACTORIES, canonical } from "./vocabulary";

export type Verdict = "proved" | "failed" | "unknown";

export interface Proof {
  verdict: Verdict;
  /** The object's path from what is handed over: "target", "args[1]", "target: the `Shell` instance, `self.report`"; empty for a fact of the program that nothing hands over (its reason says where). */
  path: string;
  /** Where the value (or what decides it) is written. */
  node: SyntaxNode;
  /** CPython's error (failed) or what cannot be told (unknown); empty when proved. */
  reason: string;
  /**
   * An unknown that is the caller's to prove: the value is a parameter of a module-level
   * function (`value`: it is handed to the children, and runs there if it is code) or the
   * items of one (`items`); src/python/deferred.ts carries it to the function's call sites.
   */
  deferred?: Deferred[];
}

/** A parameter of a module-level function whose value (or items) the children get. */
export interface Deferred {
  fn: SyntaxNode;
  param: string;
  needs: "value" | "items";
}

/** What is expected at a place: a callable (pickled by its name) or any value. */
export type Role = "callable" | "value";

const MAX_DEPTH = 16;

/**
 * The first failed proof, else the first unknown one that is not deferred to callers, else
 * the first deferred one carrying every deferral (none may be lost), else a proved one.
 */
export function combine(proofs: Proof[], whole: Proof): Proof {
  const failed = proofs.find((p) => p.verdict === "failed");
  if (failed) return failed;
  const unknowns = proofs.filter((p) => p.verdict === "unknown");
  if (unknowns.length === 0) return whole;
  const plain = unknowns.find((p) => !p.deferred);
  if (plain) return plain;
  // Each deferral once: values reached along many paths would repeat them (exponentially, through names bound twice).
  const deferred = new Map<string, Deferred>();
  for (const d of unknowns.flatMap((p) => p.deferred!)) deferred.set(`${d.fn.startIndex}:${d.param}:${d.needs}`, d);
  return { ...unknowns[0], deferred: [...deferred.values()] };
}

export class Prover {
  /** Class nodes under proof, against cycles (`self.parent = Node(...)`). */
  private readonly inProgress = new Set<number>();

  /**
   * Where what is proved is pickled, when that is known (a Process's `start()` just after it is
   * made): a change after it, in no loop around the site, comes too late to matter.
   */
  private handover: Handover | null = null;

  constructor(private readonly module: ModuleFacts) {}

  /** Proves with `handover` as the place the values are pickled. */
  handedOverAt<T>(handover: Handover | null, prove: () => T): T {
    const before = this.handover;
    this.handover = handover;
    try {
      return prove();
    } finally {
      this.handover = before;
    }
  }

  private proved(path: string, node: SyntaxNode): Proof {
    return { verdict: "proved", path, node, reason: "" };
  }

  private failed(path: string, node: SyntaxNode, reason: string): Proof {
    return { verdict: "failed", path, node, reason };
  }

  private unknown(path: string, node: SyntaxNode, reason: string): Proof {
    return { verdict: "unknown", path, node, reason };
  }

  /**
   * @param params for the parameters of a class's `__init__` while its instance is proved:
   * the argument each gets at the call that makes the instance.
   */
  value(expr: SyntaxNode, path: string, role: Role = "value", depth = 0, params: Map<string, SyntaxNode | null> | null = null): Proof {
    if (depth > MAX_DEPTH) return this.unknown(path, expr, "too deep to follow");
    switch (expr.type) {
      case "integer": case "float": case "string": case "concatenated_string": case "true": case "false": case "none": case "ellipsis":
      case "comparison_operator": case "not_operator": case "boolean_operator":
        return this.proved(path, expr);
      case "parenthesized_expression":
        return expr.namedChildCount === 1 ? this.value(expr.namedChildren[0], path, role, depth, params) : this.unknown(path, expr, "not a value spawnsafe can judge");
      case "tuple": case "list": case "set": case "expression_list": {
        const items = expr.namedChildren.filter((c) => c.type !== "comment");
        return combine(items.map((item, i) => this.value(item, `${path}[${i}]`, "value", depth + 1, params)), this.proved(path, expr));
      }
      case "list_splat": case "dictionary_splat":
        return expr.namedChildren[0] ? this.value(expr.namedChildren[0], path, "value", depth + 1, params) : this.unknown(path, expr, "not a value spawnsafe can judge");
      case "dictionary": {
        const parts: Proof[] = [];
        for (const pair of expr.namedChildren) {
          if (pair.type === "pair") {
            const key = pair.childForFieldName("key");
            const value = pair.childForFieldName("value");
            const label = key && stringLiteral(key) !== null ? `${path}[${key.text}]` : `${path}[...]`;
            if (key) parts.push(this.value(key, label, "value", depth + 1, params));
            if (value) parts.push(this.value(value, label, "value", depth + 1, params));
          } else if (pair.type !== "comment") {
            parts.push(this.value(pair, path, "value", depth + 1, params));
          }
        }
        return combine(parts, this.proved(path, expr));
      }
      case "binary_operator": case "unary_operator": {
        const operands = expr.namedChildren.filter((c) => c.type !== "comment");
        return combine(operands.map((o) => this.value(o, path, "value", depth + 1, params)), this.proved(path, expr));
      }
      case "conditional_expression": {
        const [a, , b] = expr.namedChildren;
        return combine([a, b].filter(Boolean).map((v) => this.value(v, path, role, depth + 1, params)), this.proved(path, expr));
      }
      case "lambda":
        return this.failed(path, expr, this.module.model.scopes.deferringFunction(expr)
          ? `AttributeError: Can't pickle local object '<lambda>'`
          : `PicklingError: Can't pickle <function <lambda>>: attribute lookup <lambda> failed`);
      case "generator_expression":
        return this.failed(path, expr, "TypeError: cannot pickle 'generator' object");
      case "list_comprehension": case "set_comprehension": case "dictionary_comprehension":
        return this.unknown(path, expr, "built by a comprehension: its items are not judged");
      case "identifier":
        return this.name(expr, path, role, depth, params);
      case "subscript":
        return this.item(expr, path, role, depth, params);
      case "attribute":
        return this.attribute(expr, path, role, depth, params);
      case "call":
        return this.call(expr, path, role, depth, params);
      default:
        return this.unknown(path, expr, `\`${short(expr)}\` is not a value spawnsafe can judge`);
    }
  }

  /** Whether every item of an iterable is proved (a parameter's items are its callers' to prove). */
  itemsOf(iterable: SyntaxNode, path: string): Proof {
    return this.items(iterable, path, "value", 0, null);
  }

  private name(identifier: SyntaxNode, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null): Proof {
    const { model } = this.module;
    const receiver = this.selfClass(identifier);
    if (receiver) return this.instance(receiver, path, this.creationsOf(receiver), depth + 1);
    const bindings = model.bindingsReaching(identifier);
    if (bindings.length === 0) {
      // A builtin (`print`, `len`) pickles by its name.
      const value = model.valueOf(identifier);
      return value?.kind === "qualified" && value.qname.startsWith("builtins.")
        ? this.proved(path, identifier)
        : this.unknown(path, identifier, `\`${identifier.text}\` is not bound in this module`);
    }
    const proof = combine(bindings.map((b) => this.binding(b, identifier, path, role, depth, params)), this.proved(path, identifier));
    if (proof.verdict === "failed") return proof;
    // A value made here and changed afterwards (`extras.append(Lock())`, `kwargs.update(...)`,
    // `job.lock = Lock()`) holds what the change put in: not followed.
    // Queues, locks, values and managers of multiprocessing are shared: changing them is their use.
    const shared = (b: Binding) => {
      const made = b.value ? model.valueOf(b.value) : null;
      const of = made?.kind === "instance" ? made.of : made;
      return of?.kind === "contextMember" || (of?.kind === "qualified" && /^(multiprocessing|torch\.multiprocessing)\./.test(canonical(of.qname)));
    };
    const plain = bindings.some((b) => (b.kind === "assignment" || b.kind === "walrus" || b.kind === "with") && !shared(b));
    const changed = plain ? changeOf(this.module, identifier, this.handover) : null;
    if (changed) return this.unknown(path, changed, `\`${identifier.text}\` is changed after it is made (line ${this.module.lines.position(changed.startIndex).line}, \`${short(changed)}\`): what it holds then is not followed`);
    return proof;
  }

  private binding(binding: Binding, use: SyntaxNode, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null): Proof {
    const { model } = this.module;
    const name = binding.name;
    switch (binding.kind) {
      case "def":
      case "class": {
        const what = binding.kind === "def" ? "function" : "class";
        if (binding.scope.kind === "function" || binding.scope.kind === "lambda") {
          const outer = model.index.field(binding.scope.node, "name")?.text ?? "<lambda>";
          return this.failed(path, binding.node, `AttributeError: Can't pickle local object '${outer}.<locals>.${name}' (a ${what} defined inside \`${outer}\`)`);
        }
        if (model.guardOf(binding.node)) {
          return this.failed(path, binding.node, `AttributeError: Can't get attribute '${name}' on <module '__mp_main__'> (a ${what} defined under the main guard, which a spawned child does not run)`);
        }
        // A decorator may put another object under the name (a wrapper without functools.wraps
        // pickles as \`traced.<locals>.wrapper\`): only decorators known to keep it are proved.
        const decorator = unknownDecorator(binding.node);
        if (decorator) return this.unknown(path, decorator, `\`${name}\` is decorated by \`${short(decorator)}\`: what the decorator puts under the name is not followed`);
        return this.proved(path, binding.node);
      }
      case "import": {
        if (binding.node.type === "import_statement") return this.failed(path, binding.node, `TypeError: cannot pickle 'module' object (\`${name}\` is the module ${binding.qname})`);
        // `from m import f`: a function or class pickles by its name; anything else is not known.
        return role === "callable" ? this.proved(path, binding.node) : this.unknown(path, binding.node, `\`${name}\` comes from ${binding.qname ?? "a relative import"}: what it is is not known`);
      }
      case "parameter": {
        const given = params?.get(name);
        if (given) return this.value(given, path, role, depth + 1, null);
        const owner = model.index.field(binding.node, "name")?.text ?? "<lambda>";
        const proof = this.unknown(path, use, `\`${name}\` is a parameter of \`${owner}\`: what callers pass is not known`);
        return { ...proof, ...deferredTo(this.module, binding, "value") };
      }
      case "assignment":
      case "walrus":
      case "with":
        return binding.value ? this.value(binding.value, path, role, depth + 1, params) : this.unpacked(binding, path, role, depth, params);
      case "loop":
      case "comprehension": {
        // `for n in range(4)`: the loop variable takes the items of the iterable; unpacked
        // (`for f, x in ((g, 1), ...)`), the part of each item at its place in the target.
        const iterable = model.index.field(binding.node, "right");
        const target = model.index.field(binding.node, "left");
        const place = target ? placeIn(target, binding.position) : null;
        return iterable ? this.items(iterable, path, role, depth + 1, params, place) : this.unknown(path, binding.node, `\`${name}\` is a loop variable`);
      }
      default:
        return this.unknown(path, binding.node, `\`${name}\` is bound by ${binding.kind === "except" ? "an `except` clause" : `a ${binding.kind} statement`}`);
    }
  }

  /** `ends[1]` of `ends = Pipe()` (a Connection), `pair[0]` of a literal tuple: the item at that index. */
  private item(expr: SyntaxNode, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null): Proof {
    const { model, index } = this.module;
    const object = index.field(expr, "value");
    const at = index.field(expr, "subscript");
    const n = at?.type === "integer" ? Number(at.text) : NaN;
    const bindings = object?.type === "identifier" ? model.bindingsReaching(object) : [];
    if (Number.isInteger(n) && bindings.length === 1 && bindings[0].kind === "assignment" && bindings[0].value && !changeOf(this.module, object!)) {
      let value: SyntaxNode = bindings[0].value;
      while (value.type === "parenthesized_expression" && value.namedChildCount === 1) value = value.namedChildren[0];
      if (value.type === "call" && isPipe(model.valueOf(index.field(value, "function"))) && (n === 0 || n === 1)) return this.proved(path, expr);
      const parts = /^(tuple|list)$/.test(value.type) ? value.namedChildren.filter((c) => c.type !== "comment") : [];
      if (parts[n] && !parts.some((p) => /splat/.test(p.type))) return this.value(parts[n], path, role, depth + 1, params);
    }
    return this.unknown(path, expr, `\`${short(expr)}\` is not a value spawnsafe can judge`);
  }

  /**
   * A name bound by unpacking: `q, done = Queue(), Event()` (the part at its place),
   * `parent, child = Pipe()` (a Connection, which multiprocessing reduces for the child).
   */
  private unpacked(binding: Binding, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null): Proof {
    const { model, index } = this.module;
    const left = binding.node.type === "assignment" ? index.field(binding.node, "left") : null;
    let right = binding.node.type === "assignment" ? index.field(binding.node, "right") : null;
    while (right?.type === "parenthesized_expression" && right.namedChildCount === 1) right = right.namedChildren[0];
    const place = left ? placeIn(left, binding.position) : null;
    if (right && place && place.length > 0) {
      if (/^(tuple|list|expression_list)$/.test(right.type)) {
        const parts = right.namedChildren.filter((c) => c.type !== "comment");
        const part = parts[place[0]];
        if (part && !parts.some((p) => /splat/.test(p.type))) return this.value(partAt(part, place.slice(1)), path, role, depth + 1, params);
      }
      if (right.type === "call" && place.length === 1) {
        if (isPipe(model.valueOf(index.field(right, "function")))) return this.proved(path, right);
      }
    }
    return this.unknown(path, binding.node, `\`${binding.name}\` is unpacked from another value`);
  }

  /** Whether every item an iterable gives (and every part of an item) is proved. */
  private items(iterable: SyntaxNode, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null, place: number[] | null = null): Proof {
    if (depth > MAX_DEPTH) return this.unknown(path, iterable, "too deep to follow");
    const { model, index } = this.module;
    switch (iterable.type) {
      case "string": case "concatenated_string":
        return this.proved(path, iterable);
      case "list": case "tuple": case "set": case "dictionary": case "parenthesized_expression": {
        // Each item, or the part of it the loop variable takes, is used as the variable is used.
        const items = iterable.namedChildren.filter((c) => c.type !== "comment");
        return combine(items.map((item) => this.value(partAt(item, place), path, role, depth + 1, params)), this.proved(path, iterable));
      }
      case "identifier": {
        const bindings = model.bindingsReaching(iterable);
        const values = bindings.map((b) => (b.kind === "assignment" || b.kind === "walrus") && b.value ? b.value : null);
        if (bindings.length === 1 && bindings[0].kind === "parameter") {
          return { ...this.unknown(path, iterable, `the items of \`${iterable.text}\` are not known`), ...deferredTo(this.module, bindings[0], "items") };
        }
        if (values.length === 0 || values.some((v) => v === null)) return this.unknown(path, iterable, `the items of \`${iterable.text}\` are not known`);
        return combine(values.map((v) => this.items(v!, path, role, depth + 1, params)), this.proved(path, iterable));
      }
      case "call": {
        const callee = index.field(iterable, "function");
        const value = model.valueOf(callee);
        const args = (index.field(iterable, "arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment" && a.type !== "keyword_argument");
        const qname = value?.kind === "qualified" ? canonical(value.qname) : null;
        if (qname === "builtins.range") return this.proved(path, iterable);
        if (qname && ["builtins.enumerate", "builtins.zip", "builtins.sorted", "builtins.reversed", "builtins.list", "builtins.tuple", "builtins.set", "builtins.iter"].includes(qname)) {
          return combine(args.map((a) => this.items(a, path, role, depth + 1, params)), this.proved(path, iterable));
        }
        // `d.items()`, `d.keys()`, `d.values()` of a known dictionary.
        const method = callee?.type === "attribute" ? index.field(callee, "attribute")?.text : null;
        const object = callee?.type === "attribute" ? index.field(callee, "object") : null;
        if (object && method && ["items", "keys", "values"].includes(method)) return this.items(object, path, role, depth + 1, params);
        return this.unknown(path, iterable, `the items of \`${short(iterable)}\` are not known`);
      }
      default:
        return this.unknown(path, iterable, `the items of \`${short(iterable)}\` are not known`);
    }
  }

  private attribute(expr: SyntaxNode, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null): Proof {
    const { model, index } = this.module;
    const value = model.valueOf(expr);
    const known = value ? knownValue(value) : null;
    if (known) return this.failed(path, expr, known);
    const object = index.field(expr, "object");
    if (!object) return this.unknown(path, expr, "not a value spawnsafe can judge");
    // `self.method`, `obj.method`: a bound method pickles its instance.
    const cls = this.classOfInstance(object);
    const changed = cls && object.type === "identifier" && object.text !== "self" ? changeOf(this.module, object, this.handover) : null;
    if (changed) return this.unknown(path, changed, `\`${object.text}\` is changed after it is made (line ${this.module.lines.position(changed.startIndex).line}, \`${short(changed)}\`): what it holds then is not followed`);
    if (cls) {
      const name = index.field(cls.node, "name")?.text ?? "";
      return this.instance(cls.node, `${path}: the \`${name}\` instance behind \`${expr.text}\``, cls.creations, depth + 1);
    }
    // `module.function`, `Class.Nested.method` as a callable pickles by its qualified name.
    const objectValue = model.valueOf(object);
    if (role === "callable" && objectValue?.kind === "qualified" && this.isModuleBinding(object)) return this.proved(path, expr);
    if (role === "callable" && this.moduleLevelClassChain(object)) {
      // Pickled by name, and found again by name: what the class binds there must be a plain
      // definition (`run = staticmethod(make_runner(2))` binds a closure, found under another name).
      const attr = index.field(expr, "attribute")?.text;
      const body = this.classBody(object);
      const bound = body && attr ? definitionIn(body, attr) : null;
      const other = body?.namedChildren.some((s) => s.type === "expression_statement" && s.namedChildren[0]?.type === "assignment" && new RegExp(`(^|[\\s,(])${attr}\\b`).test(s.namedChildren[0].childForFieldName("left")?.text ?? ""));
      if (bound && !other) return this.proved(path, expr);
      return this.unknown(path, expr, `\`${short(expr)}\` is not a function the class defines by that name: what pickle finds under it is not followed`);
    }
    return this.unknown(path, expr, `\`${short(expr)}\` is not known`);
  }

  private call(expr: SyntaxNode, path: string, role: Role, depth: number, params: Map<string, SyntaxNode | null> | null): Proof {
    const { model, index } = this.module;
    const callee = index.field(expr, "function");
    const value = model.valueOf(callee);
    const args = () => (index.field(expr, "arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
    const argValues = () => args().map((a) => (a.type === "keyword_argument" ? a.childForFieldName("value") ?? a : a));
    if (value?.kind === "qualified") {
      const qname = canonical(value.qname);
      if (qname === "builtins.open" || qname === "io.open") {
        const mode = argument(expr, "mode", 1);
        return this.failed(path, expr, openError(mode ? stringLiteral(mode) : null));
      }
      if (UNPICKLABLE[qname]) return this.failed(path, expr, UNPICKLABLE[qname].error);
      if (qname === "builtins.getattr") {
        // `getattr(self, name)`: a bound method of the object, whatever the name.
        const object = argument(expr, "", 0);
        const cls = object ? this.classOfInstance(object) : null;
        if (cls) return this.instance(cls.node, `${path}: the \`${index.field(cls.node, "name")?.text}\` instance behind \`${expr.text}\``, cls.creations, depth + 1);
        return this.unknown(path, expr, `\`${short(expr)}\` is not known`);
      }
      if (qname === "functools.partial") {
        const [fn, ...rest] = argValues();
        return combine([...(fn ? [this.value(fn, path, "callable", depth + 1, params)] : []), ...rest.map((a) => this.value(a, path, "value", depth + 1, params))], this.proved(path, expr));
      }
      if (PICKLABLE_CALLS.has(qname)) return combine(argValues().map((a) => this.value(a, path, "value", depth + 1, params)), this.proved(path, expr));
      // Queues, locks, values of multiprocessing, and a manager's proxies, are made to be handed over.
      const member = qname.slice(qname.lastIndexOf(".") + 1);
      const sharedMemory = ["multiprocessing.RawValue", "multiprocessing.RawArray", "multiprocessing.Pipe"].includes(qname) || qname.startsWith("multiprocessing.sharedctypes.");
      if ((qname === `multiprocessing.${member}` && CONTEXT_FACTORIES.has(member) && member !== "Pool" && member !== "Process") || qname.startsWith("multiprocessing.Manager.") || sharedMemory) {
        return this.proved(path, expr);
      }
      return this.unknown(path, expr, `what \`${short(callee ?? expr)}()\` returns is not known`);
    }
    if (value?.kind === "contextMember" && CONTEXT_FACTORIES.has(value.member) && value.member !== "Pool" && value.member !== "Process") return this.proved(path, expr);
    const made = callee?.type === "identifier" ? this.madeClass(callee) : null;
    if (made) return made.local ? this.failed(path, expr, made.local) : combine(argValues().map((a) => this.value(a, path, "value", depth + 1, params)), this.proved(path, expr));
    if (value?.kind === "definition") {
      if (value.node.type === "class_definition") return this.instance(value.node, `${path}: the \`${index.field(value.node, "name")?.text}\` instance`, [expr], depth + 1);
      if (isGenerator(value.node)) return this.failed(path, expr, "TypeError: cannot pickle 'generator' object");
      const returned = this.returned(value.node, expr, path, role, depth);
      if (returned) return returned;
    }
    return this.unknown(path, expr, `what \`${short(callee ?? expr)}()\` returns is not known`);
  }

  /**
   * A class made by a call (`Info = namedtuple("Info", ...)`): its instances pickle when it is
   * bound at module level under the name it is made with; made in a function, pickle cannot find
   * it by name (`local`: CPython's error). Null when the name is not bound so.
   */
  private madeClass(name: SyntaxNode): { local: string | null } | null {
    const { model, index } = this.module;
    const bindings = model.bindingsReaching(name);
    const binding = bindings.length === 1 && bindings[0].kind === "assignment" ? bindings[0] : null;
    const maker = binding?.value?.type === "call" ? model.qualifiedName(index.field(binding.value, "function")) : null;
    if (!binding?.value || !maker || !/^(collections\.namedtuple|typing\.NamedTuple|dataclasses\.make_dataclass|enum\.Enum)$/.test(model.canonicalName(maker))) return null;
    const typename = stringLiteral(argument(binding.value, "typename", 0) ?? binding.value);
    if (binding.scope.kind === "function") {
      // Pickle looks the class up by its name in its module, where the function's local is not.
      const program = this.module.mainGuards.length > 0 || this.module.startingStatements.size > 0;
      const owner = program ? "__main__" : model.project.moduleName ?? "__main__";
      const cls = typename ?? name.text;
      return { local: `_pickle.PicklingError: Can't pickle <class '${owner}.${cls}'>: attribute lookup ${cls} on ${owner} failed` };
    }
    return binding.scope.kind === "module" && typename === name.text ? { local: null } : null;
  }

  /**
   * What a call of a function of this module returns: each `return` of its own body proved with
   * the call's arguments for its parameters (falling off the end returns None). Null when it is
   * not followed: a method (its `self`), a recursive call, a function whose body holds `yield`.
   */
  private returned(fn: SyntaxNode, call: SyntaxNode, path: string, role: Role, depth: number): Proof | null {
    const id = nodeId(fn);
    if (this.inProgress.has(id) || this.module.index.parent(fn)?.type === "block" && this.module.index.parent(this.module.index.parent(fn)!)?.type === "class_definition") return null;
    const body = fn.childForFieldName("body");
    if (!body) return null;
    const name = fn.childForFieldName("name")?.text ?? "";
    const returns: SyntaxNode[] = [];
    const visit = (node: SyntaxNode) => {
      for (const child of node.namedChildren) {
        if (/^(function_definition|lambda|class_definition)$/.test(child.type)) continue;
        if (child.type === "return_statement") returns.push(child);
        else visit(child);
      }
    };
    visit(body);
    this.inProgress.add(id);
    try {
      const args = parameterArguments(fn, call, 0);
      const proofs = returns.flatMap((r) => (r.namedChildren[0] ? [this.value(r.namedChildren[0], `${path} (what \`${name}()\` returns)`, role, depth + 1, args)] : []));
      return combine(proofs, this.proved(path, call));
    } finally {
      this.inProgress.delete(id);
    }
  }

  /**
   * An instance of a class of this module: pickled with every attribute its methods set on
   * `self`. `creations` are the calls that make it (their arguments fill `__init__`'s
   * parameters); null when they are not known.
   */
  instance(cls: SyntaxNode, path: string, creations: SyntaxNode[] | null, depth: number): Proof {
    const { index } = this.module;
    const name = index.field(cls, "name")?.text ?? "";
    if (depth > MAX_DEPTH || this.inProgress.has(nodeId(cls))) return this.proved(path, cls);
    // Pickled by its class's name: a class inside a function or under the main guard is not found.
    const scope = this.module.model.scopeOf(cls);
    if (scope.kind === "function" || scope.kind === "lambda") {
      const outer = index.field(scope.node, "name")?.text ?? "<lambda>";
      return this.unknown(path, cls, `\`${name}\` is a class defined inside \`${outer}\`: its instances cannot be pickled by name ('${outer}.<locals>.${name}')`);
    }
    if (this.module.model.guardOf(cls)) {
      return this.unknown(path, cls, `\`${name}\` is a class defined under the main guard, which a spawned child does not run: it cannot find the class`);
    }
    this.inProgress.add(nodeId(cls));
    try {
      const methods = methodsOf(cls);
      const custom = methods.find((m) => ["__getstate__", "__reduce__", "__reduce_ex__"].includes(m.childForFieldName("name")?.text ?? ""));
      if (custom) return this.unknown(path, custom, `\`${name}\` defines ${custom.childForFieldName("name")!.text}: what it pickles is its own`);
      const proofs: Proof[] = [];
      for (const base of index.field(cls, "superclasses")?.namedChildren ?? []) {
        if (base.type === "keyword_argument" || base.type === "comment") continue;
        proofs.push(this.base(base, path, depth));
      }
      const init = methods.find((m) => m.childForFieldName("name")?.text === "__init__") ?? null;
      const calls = creations ?? [];
      for (const method of methods) {
        const self = firstParameter(method);
        if (!self) continue;
        for (const { target, value } of index.memo(`selfAssignments:${nodeId(method)}`, () => selfAssignments(method, self))) {
          const label = `${path}, self.${target}`;
          if (method === init && calls.length > 0) {
            for (const call of calls) proofs.push(this.value(value, label, "value", depth + 1, parameterArguments(init, call)));
          } else {
            proofs.push(this.value(value, label, "value", depth + 1, null));
          }
        }
      }
      return combine(proofs, this.proved(path, cls));
    } finally {
      this.inProgress.delete(nodeId(cls));
    }
  }

  private base(base: SyntaxNode, path: string, depth: number): Proof {
    const value = this.module.model.valueOf(base);
    if (!value) return this.unknown(path, base, `base class \`${short(base)}\` is not known`);
    if (value.kind === "definition" && value.node.type === "class_definition") return this.instance(value.node, path, null, depth + 1);
    if (value.kind === "contextMember" && value.member === "Process") return this.proved(path, base);
    if (value.kind === "qualified") {
      const qname = canonical(value.qname);
      if (qname === "builtins.object" || qname === "multiprocessing.Process" || qname === "builtins.Exception") return this.proved(path, base);
      if (UNPICKLABLE[qname]) return this.failed(path, base, UNPICKLABLE[qname].error);
    }
    return this.unknown(path, base, `base class \`${short(base)}\` keeps attributes spawnsafe does not see`);
  }

  /** The class of an expression known to be an instance: `self` in a method, `C(...)`, a name bound to `C(...)`. */
  private classOfInstance(expr: SyntaxNode): { node: SyntaxNode; creations: SyntaxNode[] | null } | null {
    if (expr.type === "call") {
      const value = this.module.model.valueOf(this.module.index.field(expr, "function"));
      return value?.kind === "definition" && value.node.type === "class_definition" ? { node: value.node, creations: [expr] } : null;
    }
    if (expr.type !== "identifier") return null;
    const cls = this.selfClass(expr);
    if (cls) return { node: cls, creations: this.creationsOf(cls) };
    const bindings = this.module.model.bindingsReaching(expr);
    if (bindings.length !== 1 || !bindings[0].value || bindings[0].value.type !== "call") return null;
    const value = this.module.model.valueOf(this.module.index.field(bindings[0].value, "function"));
    return value?.kind === "definition" && value.node.type === "class_definition" ? { node: value.node, creations: [bindings[0].value] } : null;
  }

  /** The class whose method's first parameter this identifier is (`self`), or null. */
  private selfClass(identifier: SyntaxNode): SyntaxNode | null {
    const { model } = this.module;
    const bindings = model.bindingsReaching(identifier);
    if (bindings.length !== 1 || bindings[0].kind !== "parameter") return null;
    const fn = bindings[0].node;
    if (fn.type !== "function_definition" || firstParameter(fn) !== identifier.text) return null;
    const scope = model.scopes.scopeFor(fn).parent;
    if (scope?.kind !== "class") return null;
    // A static or class method's first parameter is not the instance.
    const decorated = fn.parent?.type === "decorated_definition" ? fn.parent : null;
    if (decorated && /@(staticmethod|classmethod)\b/.test(decorated.text.slice(0, fn.startIndex - decorated.startIndex))) return null;
    return scope.node;
  }

  /** The calls of this module that make instances of the class, or null when there are none to see. */
  private creationsOf(cls: SyntaxNode): SyntaxNode[] | null {
    const { index, model } = this.module;
    const name = index.field(cls, "name")?.text;
    if (!name) return null;
    const calls = callsNamed(index, [name]).filter((call) => {
      const value = model.valueOf(index.field(call, "function"));
      return value?.kind === "definition" && nodeId(value.node) === nodeId(cls);
    });
    return calls.length ? calls : null;
  }

  /** `C` or `C.Inner` where C is a class defined at module level (outside the main guard). */
  private moduleLevelClassChain(object: SyntaxNode): boolean {
    let root = object;
    while (root.type === "attribute") root = this.module.index.field(root, "object")!;
    if (root.type !== "identifier") return false;
    const bindings = this.module.model.bindingsReaching(root);
    return bindings.length > 0 && bindings.every((b) => b.kind === "class" && b.scope.kind === "module" && !this.module.model.guardOf(b.node));
  }

  /** The body of the class an expression names (`Greeter`, `Greeter.Nested`), or null. */
  private classBody(expr: SyntaxNode): SyntaxNode | null {
    const { model, index } = this.module;
    if (expr.type === "identifier") {
      const value = model.valueOf(expr);
      return value?.kind === "definition" && value.node.type === "class_definition" ? index.field(value.node, "body") : null;
    }
    if (expr.type !== "attribute") return null;
    const outer = this.classBody(index.field(expr, "object")!);
    const name = index.field(expr, "attribute")?.text;
    const found = outer && name ? definitionIn(outer, name) : null;
    const nested = found?.type === "class_definition" ? found : null;
    return nested ? index.field(nested, "body") : null;
  }

  private isModuleBinding(object: SyntaxNode): boolean {
    if (object.type === "attribute") return this.isModuleBinding(this.module.index.field(object, "object")!);
    if (object.type !== "identifier") return false;
    const bindings = this.module.model.bindingsReaching(object);
    return bindings.length > 0 && bindings.every((b) => b.kind === "import");
  }
}

/**
 * The deferral of an unknown parameter to the callers of its function: only a plain parameter
 * of a module-level function (not under the guard, not decorated), bound nowhere else in it
 * and never changed there (`items.append(lock)`), so that what a call passes is what the
 * children get. Empty when it is not one.
 */
export function deferredTo(module: ModuleFacts, binding: Binding, needs: Deferred["needs"]): { deferred?: Deferred[] } {
  const fn = binding.node;
  if (binding.kind !== "parameter" || fn.type !== "function_definition") return {};
  if (module.model.scopeOf(fn).kind !== "module" || module.model.guardOf(fn) || fn.parent?.type === "decorated_definition") return {};
  const param = (fn.childForFieldName("parameters")?.namedChildren ?? []).find((p) => (p.type === "identifier" ? p : p.childForFieldName("name"))?.text === binding.name);
  if (!param || !/^(identifier|default_parameter|typed_parameter|typed_default_parameter)$/.test(param.type)) return {};
  const scope = module.model.scopes.scopeFor(fn);
  if (module.model.bindingsIn(scope, binding.name).length !== 1 || module.model.declaration(scope, binding.name)) return {};
  const use = fn.childForFieldName("body")?.descendantsOfType("identifier").find((id) => id.text === binding.name && module.model.bindingsReaching(id)[0] === binding);
  if (use && changeOf(module, use)) return {};
  return { deferred: [{ fn, param: binding.name, needs }] };
}

/** The error of a value the table knows (`sys.stdout`, `proc.stdin`), or null. */
function knownValue(value: Value): string | null {
  const named = value.kind === "qualified" ? canonical(value.qname) : null;
  return named && UNPICKLABLE[named] ? UNPICKLABLE[named].error : null;
}

/** Where in a loop target (`a, (b, c)`) the name written at `position` stands: [1, 0] for b; [] for the whole target. */
function placeIn(target: SyntaxNode, position: number): number[] | null {
  if (target.type === "identifier") return target.startIndex === position ? [] : null;
  if (!/^(pattern_list|tuple_pattern|list_pattern|tuple|list|parenthesized_expression)$/.test(target.type)) return null;
  const parts = target.namedChildren.filter((c) => c.type !== "comment");
  for (let i = 0; i < parts.length; i++) {
    const inner = placeIn(parts[i], position);
    if (inner) return target.type === "parenthesized_expression" ? inner : [i, ...inner];
  }
  return null;
}

/** The part of a literal item at `place`, as far as the literal shows it (else the whole item). */
function partAt(item: SyntaxNode, place: number[] | null): SyntaxNode {
  let node = item;
  for (const i of place ?? []) {
    while (node.type === "parenthesized_expression" && node.namedChildCount === 1) node = node.namedChildren[0];
    if (node.type !== "tuple" && node.type !== "list") return node;
    const parts = node.namedChildren.filter((c) => c.type !== "comment");
    if (!parts[i]) return node;
    node = parts[i];
  }
  return node;
}

/** The methods defined in a class body (decorated ones too). */
/** The function or class a block (a class body) defines under `name`, decorated or not, or null. */
export function definitionIn(block: SyntaxNode, name: string): SyntaxNode | null {
  for (const child of block.namedChildren) {
    const def = child.type === "decorated_definition" ? child.childForFieldName("definition") : child;
    if (def && /^(function|class)_definition$/.test(def.type) && def.childForFieldName("name")?.text === name) return def;
  }
  return null;
}

export function methodsOf(cls: SyntaxNode): SyntaxNode[] {
  const methods: SyntaxNode[] = [];
  for (const child of cls.childForFieldName("body")?.namedChildren ?? []) {
    const fn = child.type === "decorated_definition" ? child.childForFieldName("definition") : child;
    if (fn?.type === "function_definition") methods.push(fn);
  }
  return methods;
}

function firstParameter(fn: SyntaxNode): string | null {
  const first = fn.childForFieldName("parameters")?.namedChildren.find((p) => p.type !== "comment");
  if (!first) return null;
  const name = first.type === "identifier" ? first : first.childForFieldName("name") ?? first.namedChildren.find((c) => c.type === "identifier");
  return name?.type === "identifier" ? name.text : null;
}

/** `self.x = value` statements of a method's own body (nested functions and classes left out). */
function selfAssignments(method: SyntaxNode, self: string): Array<{ target: string; value: SyntaxNode }> {
  const found: Array<{ target: string; value: SyntaxNode }> = [];
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (child.type === "function_definition" || child.type === "class_definition" || child.type === "lambda") continue;
      if (child.type === "assignment") {
        const left = child.childForFieldName("left");
        const right = child.childForFieldName("right");
        if (left?.type === "attribute" && right && left.childForFieldName("object")?.text === self) {
          found.push({ target: left.childForFieldName("attribute")?.text ?? "", value: right });
        }
      }
      visit(child);
    }
  };
  const body = method.childForFieldName("body");
  if (body) visit(body);
  return found;
}

/** For each parameter of `__init__` (after self; of a function with `skip` 0): the argument the call passes, or null when it keeps its default. */
function parameterArguments(init: SyntaxNode, call: SyntaxNode, skip = 1): Map<string, SyntaxNode | null> {
  const params = (init.childForFieldName("parameters")?.namedChildren ?? []).filter((p) => p.type !== "comment").slice(skip);
  const args = (call.childForFieldName("arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
  const map = new Map<string, SyntaxNode | null>();
  const positional = args.filter((a) => a.type !== "keyword_argument" && a.type !== "list_splat" && a.type !== "dictionary_splat");
  const splat = args.some((a) => a.type === "list_splat" || a.type === "dictionary_splat");
  params.forEach((param, i) => {
    const nameNode = param.type === "identifier" ? param : param.childForFieldName("name") ?? param.namedChildren.find((c) => c.type === "identifier");
    const name = nameNode?.text;
    if (!name || param.type === "list_splat_pattern" || param.type === "dictionary_splat_pattern") return;
    const keyword = args.find((a) => a.type === "keyword_argument" && a.childForFieldName("name")?.text === name);
    const given = keyword?.childForFieldName("value") ?? positional[i] ?? null;
    if (given) map.set(name, given);
    else if (!splat) {
      // Not passed: its default (a literal is plain data; anything else is judged as written).
      const fallback = param.childForFieldName("value");
      if (fallback) map.set(name, fallback);
    }
  });
  return map;
}

/** A function whose own body yields: calling it makes a generator. */
function isGenerator(fn: SyntaxNode): boolean {
  let found = false;
  const visit = (node: SyntaxNode): void => {
    for (const child of node.namedChildren) {
      if (found || child.type === "function_definition" || child.type === "class_definition" || child.type === "lambda") continue;
      if (child.type === "yield") found = true;
      else visit(child);
    }
  };
  const body = fn.childForFieldName("body");
  if (body) visit(body);
  return found;
}

/** A node's text on one line, cut to 40 characters: for messages. */
/** Decorators that leave a definition picklable by its own name. */
const KEEPING = /^(staticmethod|classmethod|property|abstractmethod|abc\.abstractmethod|functools\.(lru_cache|cache|total_ordering|wraps)|lru_cache|cache|dataclass|dataclasses\.dataclass|total_ordering|typing\.\w+|overload|final)(\(.*\))?$/s;

/** The first decorator of a definition that is not known to keep it picklable by name, or null. */
function unknownDecorator(definition: SyntaxNode): SyntaxNode | null {
  const decorated = definition.parent?.type === "decorated_definition" ? definition.parent : null;
  for (const decorator of decorated?.namedChildren.filter((c) => c.type === "decorator") ?? []) {
    const expr = decorator.namedChildren[0];
    if (expr && !KEEPING.test(expr.text)) return expr;
  }
  return null;
}

/** Methods that read a container or object and leave it as it is. */
const UNCHANGING = new Set(["get", "keys", "values", "items", "copy", "count", "index", "format", "join", "split", "strip",
  "startswith", "endswith", "lower", "upper", "replace", "encode", "decode", "start", "put", "get_nowait", "put_nowait",
  "is_alive", "result", "done", "acquire", "release", "wait", "set", "clear", "close", "send", "recv", "poll", "qsize"]);

/** Where a name bound to a value is changed in its scope after it is made (a mutating method, an item or attribute set, setattr), or null. */
/** Where values handed to a site are pickled: the statement that starts it, and the site (for the loops around it). */
export interface Handover {
  site: SyntaxNode;
  start: SyntaxNode;
}

export function changeOf(module: ModuleFacts, identifier: SyntaxNode, handover: Handover | null = null): SyntaxNode | null {
  const scope = module.model.bindingsReaching(identifier)[0]?.scope;
  if (!scope) return null;
  const key = `changeOf:${nodeId(scope.node)}:${identifier.text}:${handover ? nodeId(handover.start) : ""}`;
  return module.index.memo(key, () => findChange(module, identifier, scope, handover));
}

function findChange(module: ModuleFacts, identifier: SyntaxNode, scope: import("./scopes").Scope, handover: Handover | null): SyntaxNode | null {
  // The changes through the name, whatever it is bound to, are found once per name; which binding
  // each one reads (the costly question) is asked of those alone.
  const changes = module.index.memo(`changesThrough:${identifier.text}`, () => changesThrough(module, identifier.text));
  const late = (change: SyntaxNode) => !!handover && change.startIndex >= handover.start.endIndex && !inLoopWith(module, change, handover.site);
  return changes.find(({ id, change }) => module.model.bindingsReaching(id)[0]?.scope === scope && !late(change))?.change ?? null;
}

/** Whether a loop (or a function run again by it) holds both nodes: a change after one start may come before the next. */
function inLoopWith(module: ModuleFacts, node: SyntaxNode, site: SyntaxNode): boolean {
  for (let up = module.index.parent(site); up; up = module.index.parent(up)) {
    if (/^(for_statement|while_statement|list_comprehension|set_comprehension|dictionary_comprehension|generator_expression)$/.test(up.type)) {
      if (up.startIndex <= node.startIndex && node.endIndex <= up.endIndex) return true;
    }
    // Beyond the function the site is in, when it runs is not known: as if in a loop.
    if (up.type === "function_definition" || up.type === "lambda") return !(up.startIndex <= node.startIndex && node.endIndex <= up.endIndex);
  }
  return false;
}

/**
 * The statement that starts a Process site right after it is made, in the same block
 * (`p = Process(...)` then `p.start()`), or null: the site's values are pickled there.
 */
export function startedAfter(module: ModuleFacts, site: SyntaxNode): Handover | null {
  const { index } = module;
  const assignment = index.parent(site);
  if (assignment?.type !== "assignment" || index.field(assignment, "right")?.id !== site.id) return null;
  const name = index.field(assignment, "left");
  const statement = index.parent(assignment);
  if (name?.type !== "identifier" || statement?.type !== "expression_statement") return null;
  for (let next = statement.nextNamedSibling; next; next = next.nextNamedSibling) {
    if (next.type !== "expression_statement") return null;
    const call = next.namedChildren[0];
    const callee = call?.type === "call" ? index.field(call, "function") : null;
    const object = callee?.type === "attribute" ? index.field(callee, "object") : null;
    if (object?.type === "identifier" && object.text === name.text && index.field(callee!, "attribute")?.text === "start") return { site, start: next };
    // Statements between that do not name the process leave it unstarted until then.
    if (next.descendantsOfType("identifier").some((id) => id.text === name.text)) return null;
  }
  return null;
}

/** The places a name spelled `name` is changed through, in source order. */
function changesThrough(module: ModuleFacts, name: string): Array<{ id: SyntaxNode; change: SyntaxNode }> {
  const { model, index } = module;
  const found: Array<{ id: SyntaxNode; change: SyntaxNode }> = [];
  for (const id of index.identifiers(name)) {
    const change = changeAt(id);
    if (change) found.push({ id, change });
  }
  return found;

  function changeAt(id: SyntaxNode): SyntaxNode | null {
    const parent = index.parent(id);
    if (!parent) return null;
    if (parent.type === "attribute" && index.field(parent, "object")?.id === id.id) {
      const holder = index.parent(parent);
      const method = index.field(parent, "attribute")?.text ?? "";
      if (holder?.type === "call" && !UNCHANGING.has(method)) return holder;
      // A process's own settings (`p.daemon = True`, `p.name = ...`) are not what it hands over.
      if (holder?.type === "assignment" && index.field(holder, "left")?.id === parent.id && !/^(daemon|name)$/.test(method)) return holder;
      if (holder?.type === "augmented_assignment" && index.field(holder, "left")?.id === parent.id) return holder;
    }
    if (parent.type === "subscript" && index.field(parent, "value")?.id === id.id) {
      const holder = index.parent(parent);
      if (holder && /assignment$/.test(holder.type) && index.field(holder, "left")?.id === parent.id) return holder;
    }
    if (parent.type === "augmented_assignment" && index.field(parent, "left")?.id === id.id) return parent;
    if (parent.type === "argument_list" && parent.namedChildren[0]?.id === id.id) {
      const call = index.parent(parent);
      const callee = call ? model.qualifiedName(index.field(call, "function")) : null;
      if (callee === "builtins.setattr" || callee === "builtins.delattr") return call;
    }
    return null;
  }
}

export function short(node: SyntaxNode): string {
  const text = node.text.replace(/\s+/g, " ");
  return text.length > 40 ? text.slice(0, 37) + "..." : text;
}

/** A failed proof as a finding's message: what is handed over, the object and where it is made, CPython's error. */
export function failureMessage(module: ModuleFacts, proof: Proof): string {
  const line = module.lines.position(proof.node.startIndex).line;
  return `Under spawn, ${proof.path} is pickled for the child and fails: \`${short(proof.node)}\` (line ${line}) gives "${proof.reason}". Fork hands it over without pickling; keep such objects out of what crosses to the child (open them in the child, or pass what they are made from)`;
}

/**
 * The expressions a loop variable takes, when every binding of it is a loop over a literal
 * tuple or list (`for target, arg in ((f, 1), (g, 2))`: f and g), else null.
 */
export function loopValues(module: ModuleFacts, identifier: SyntaxNode): SyntaxNode[] | null {
  const { model, index } = module;
  const bindings = model.bindingsReaching(identifier);
  if (bindings.length === 0 || bindings.some((b) => b.kind !== "loop")) return null;
  const values: SyntaxNode[] = [];
  for (const binding of bindings) {
    let iterable = index.field(binding.node, "right");
    const target = index.field(binding.node, "left");
    while (iterable?.type === "parenthesized_expression" && iterable.namedChildCount === 1) iterable = iterable.namedChildren[0];
    if (!iterable || !target || !/^(tuple|list)$/.test(iterable.type)) return null;
    const place = placeIn(target, binding.position);
    for (const item of iterable.namedChildren.filter((c) => c.type !== "comment")) values.push(partAt(item, place));
  }
  return values;
}

/** multiprocessing's Pipe, from the module or a context: its ends are Connections, handed to a spawned child. */
function isPipe(callee: Value | null): boolean {
  return (callee?.kind === "qualified" && canonical(callee.qname) === "multiprocessing.Pipe") || (callee?.kind === "contextMember" && callee.member === "Pipe");
}
