// SPS202: a function handed to worker processes that spawn cannot pickle, or that spawned
// children cannot find again: lambdas, nested functions, local classes, definitions under the
// main guard.
import { defineTransform } from "../src/transform";
import { isNeverImported } from "../src/file-info";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";
import {
  assignedValueOf, classOfBase, definitionOf, lambdaOf, returnedClosure, unwrapPartial, workerUses, type Definition,
} from "../src/python/worker-functions";
import { handedOver } from "../src/python/crossing";
import { failureMessage } from "../src/python/pickling";

const LOCAL = `spawn pickles it for the child and fails with "Can't pickle local object"`;
const GUARDED = (name: string) =>
  `spawned children import this module as \`__mp_main__\`, where the guard does not run, and fail with "Can't get attribute '${name}'"`;

export const unpicklableTarget = defineTransform({
  code: "SPS202",
  name: "unpicklable-target",
  summary: "A Process target, pool initializer or task function that spawn cannot pickle",
  fix: "never",
  hazard: true,
  check(context) {
    const { module } = context;
    // In a notebook or a __main__.py children find nothing defined at module level or under
    // the guard: not-reimportable (SPS206) reports those; only local definitions are ours.
    const neverImported = isNeverImported(context.file);
    const reported = new Set<number>();
    for (const use of workerUses(module)) {
      const problem = problemOf(module, unwrapPartial(module, use.expr), neverImported);
      if (!problem) continue;
      reported.add(use.expr.id);
      context.report({ node: use.expr, message: `\`${use.via}\` ${problem}`, fix: null });
    }
    // What spawn pickles with the function: the instance behind a bound method, a Process
    // subclass's own attributes (an open file, a lock, a Popen...).
    if (!neverImported) {
      for (const site of module.sites) {
        if (!site.startsProcesses) continue;
        for (const proof of handedOver(module, site)) {
          // The function itself is judged above; here, the instance pickled with it.
          if (proof.verdict !== "failed" || !/^((target|initializer): the `|the `)/.test(proof.path)) continue;
          const at = site.kind === "ProcessSubclass" ? site.node : site.node.type === "call" ? site.node : proof.node;
          if (reported.has(at.id) || [...reported].some((id) => id === proof.node.id)) continue;
          reported.add(at.id);
          context.report({ node: at, message: failureMessage(module, proof), fix: null });
        }
      }
    }
    // A Process subclass is pickled with its instance at start().
    for (const site of module.sites) {
      if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
      const cls = classOfBase(site.node);
      const name = cls?.childForFieldName("name");
      if (!cls || !name) continue;
      const place = placeOfDefinition(module, cls);
      if (place === "module" || (neverImported && place === "mainGuard")) continue;
      context.report({
        node: name,
        message: `Process subclass \`${name.text}\` is ${place === "mainGuard" ? `defined under the main guard: ${GUARDED(name.text)}` : `a local class: at start() ${LOCAL}`}. Define it at module level`,
        fix: null,
      });
    }
  },
});

/** What the worker gets and why spawn cannot hand it over, or null when nothing is known. */
function problemOf(module: ModuleFacts, expr: SyntaxNode, neverImported: boolean): string | null {
  if (expr.type === "lambda") return `gets a lambda: spawn must pickle it for the child and fails ("Can't pickle"). Use a module-level function`;
  if (expr.type === "identifier") {
    const definition = definitionOf(module, expr);
    if (!definition) {
      const value = assignedValueOf(module, expr)?.value;
      const made = value ? returnedClosure(module, value) : null;
      if (made) return closureProblem(`\`${expr.text}\`, `, made);
      const bound = lambdaOf(module, expr);
      if (!bound) return null;
      const why = bound.place === "function"
        ? LOCAL
        : `pickle looks it up by the name \`<lambda>\`, not \`${expr.text}\`, and spawn fails with "Can't pickle <function <lambda>>"`;
      return `gets \`${expr.text}\`, a lambda: ${why}. Make it a \`def\` at module level`;
    }
    if (definition.place === "module" || (neverImported && definition.place === "mainGuard")) return null;
    const kind = definition.node.type === "class_definition" ? "class" : "function";
    return `gets \`${expr.text}\`, ${describe(definition, kind)}. Define it at module level`;
  }
  if (expr.type === "call") {
    const made = returnedClosure(module, expr);
    return made ? closureProblem("", made) : null;
  }
  if (expr.type === "attribute") {
    const object = expr.childForFieldName("object");
    const cls = object ? localClassOf(module, object) : null;
    if (!cls) return null;
    const name = cls.node.childForFieldName("name")?.text;
    return `gets \`${expr.text}\`, a method of \`${name}\`, ${describe(cls, "class")}. Define the class at module level`;
  }
  return null;
}

/** A closure made by a factory function of the file. */
function closureProblem(name: string, made: { factory: string; closure: string }): string {
  const closure = made.closure === "<lambda>" ? "a lambda" : `\`${made.closure}\``;
  return `gets ${name}the closure \`${made.factory}()\` returns (${closure}, defined inside \`${made.factory}\`): ${LOCAL}. Pass what it closes over as arguments to a module-level function (\`functools.partial\`)`;
}

function describe(definition: Definition, kind: "function" | "class"): string {
  const name = definition.node.childForFieldName("name")?.text ?? "";
  if (definition.place === "mainGuard") return `a ${kind} defined under the main guard: ${GUARDED(name)}`;
  return `a ${kind} defined inside \`${definition.outer}\`: ${LOCAL}`;
}

/**
 * The local (or guarded) class an expression is an instance of, or the class itself:
 * `Local`, `Local(...)`, or a name bound once in its scope to `Local(...)`.
 */
function localClassOf(module: ModuleFacts, expr: SyntaxNode): Definition | null {
  let classExpr: SyntaxNode | null = expr;
  if (expr.type === "identifier") {
    const direct = definitionOf(module, expr);
    if (direct) return direct.node.type === "class_definition" && direct.place !== "module" ? direct : null;
    const bindings = module.model.bindingsIn(module.model.scopeOf(expr), expr.text);
    if (bindings.length !== 1 || bindings[0].kind !== "assignment") return null;
    classExpr = bindings[0].value;
  }
  if (classExpr?.type !== "call") return null;
  const callee = classExpr.childForFieldName("function");
  if (callee?.type !== "identifier") return null;
  const definition = definitionOf(module, callee);
  return definition && definition.node.type === "class_definition" && definition.place !== "module" ? definition : null;
}

/**
 * Where a class is defined: inside a function, under the main guard, or at module level.
 * A class nested in a module-level class pickles by its qualified name: module level.
 */
function placeOfDefinition(module: ModuleFacts, cls: SyntaxNode): Definition["place"] {
  if (module.model.scopes.deferringFunction(cls)) return "function";
  return module.model.guardOf(cls) ? "mainGuard" : "module";
}
