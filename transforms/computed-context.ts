// SPS108: processes made from a context whose start method is chosen at run time.
import { type CheckContext, defineTransform } from "../src/transform";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";
import { defaultPaths, guardCalls, methodBranches } from "../src/python/choices";
import { argument } from "../src/python/literals";
import { entryFunctionNames } from "../src/file-info";
import { parameterContexts } from "../src/python/context-parameters";

export const computedContext = defineTransform({
  code: "SPS108",
  name: "computed-context",
  summary: "Processes are created from a context whose start method is chosen at run time",
  fix: "never",
  check(context) {
    const { module } = context;
    // A start method set on every path is the method of `multiprocessing` handed in as a context too.
    if (defaultPaths(module, new Set([...guardCalls(module), ...entryFunctionNames(context.file)])).kind === "every") return;
    for (const site of module.sites) {
      if (site.method !== null || !site.startsProcesses || site.via.form !== "context") continue;
      const made = contextCall(module, site.via.callee);
      // A conditional of literals is explicit-fork's (a fork branch) or default-context-in-library's (a None branch).
      if (made && methodBranches(argument(made, "method", 0))) continue;
      const what = made ? `\`${short(made)}\` (line ${line(module, made)})` : "a context";
      report(context, site.node, `${what} chooses the start method at run time`);
    }
    for (const { call, param, owner } of parameterContexts(module)) {
      report(context, call, `\`${param}\` is a parameter of \`${owner}\`: whether it is \`multiprocessing\` or a context, and with which start method, is the caller's`);
    }
  },
});

function report(context: CheckContext, node: SyntaxNode, why: string): void {
  const callee = node.type === "call" ? node.childForFieldName("function")?.text ?? node.text : node.text;
  context.report({
    node,
    message: `Processes are created by \`${callee}\`, and ${why}: the method is not known here. Where it is the default, they run under fork on Linux before Python 3.14 (forkserver from 3.14), and what they are handed is not proved for spawn; pass \`get_context("spawn")\` or set the method in the program's main guard`,
    fix: null,
  });
}

/** The `get_context(...)` call a context member's object comes from (`ctx.Pool` after `ctx = mp.get_context(m)`), or null. */
function contextCall(module: ModuleFacts, callee: SyntaxNode): SyntaxNode | null {
  let object = callee.type === "attribute" ? callee.childForFieldName("object") : null;
  for (let hops = 0; object && hops < 4; hops++) {
    while (object?.type === "parenthesized_expression" && object.namedChildCount === 1) object = object.namedChildren[0];
    if (object?.type === "call") return /get_context$/.test(object.childForFieldName("function")?.text ?? "") ? object : null;
    if (object?.type !== "identifier") return null;
    const bindings = module.model.bindingsReaching(object);
    object = bindings.length === 1 ? bindings[0].value : null;
  }
  return null;
}

function short(node: SyntaxNode): string {
  const text = node.text.replace(/\s+/g, " ");
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function line(module: ModuleFacts, node: SyntaxNode): number {
  return module.lines.position(node.startIndex).line;
}
