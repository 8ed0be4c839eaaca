// SPS101: processes started at module top level, with no main guard around them.
import { defineTransform } from "../src/transform";
import { isNeverImported } from "../src/file-info";
import type { SyntaxNode } from "../src/parse";
import { crossFileChain } from "../src/python/process-starts";
import { missingGuardFix, unguardable } from "../src/fix/guard";

export const missingMainGuard = defineTransform({
  code: "SPS101",
  name: "missing-main-guard",
  summary: "Processes started at module top level without an `if __name__ == \"__main__\":` guard",
  fix: "sometimes",
  unit: "guard",
  // Processes a module starts when imported, which no guard can take in, make every spawned child fail.
  hazard: true,
  check(context) {
    const { module } = context;
    // Spawned children never run a notebook or a __main__.py (they skip a `__main__` module):
    // their top level needs no guard.
    if (isNeverImported(context.file)) return;
    const first = module.startingStatements.size > 0 ? module.statements.find((s) => module.startingStatements.has(s)) : undefined;
    if (!first) return;
    const chain = crossFileChain(module.model, module.sites, module.starts, first, context.file.path, module.lines);
    const where = chain ? ` (${chain})` : "";
    const stuck = module.statements.find((s) => module.startingStatements.has(s) && unguardable(s));
    const fix = missingGuardFix(module, context.file);
    context.report({
      node: first,
      message: stuck
        ? `Processes are started when the module is imported${where}, by ${describe(stuck)}; under spawn every child imports this module again and starts them again ("bootstrapping phase" error). Create them in a function called under \`if __name__ == "__main__":\``
        : `Processes are started at module top level${where}; under spawn every child re-runs this line. Move it under \`if __name__ == "__main__":\`${fix?.why ?? ""}`,
      fix: fix?.edits ?? null,
      applicability: fix?.applicability ?? "safe",
    });
  },
});

/** What runs at import in a statement that cannot move: "the body of class `W`", "a default value or decorator of `run`". */
function describe(statement: SyntaxNode): string {
  const definition = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
  const name = definition?.childForFieldName("name")?.text;
  if (definition?.type === "class_definition") return `the class statement of \`${name}\` (its body, bases or decorators run at import)`;
  if (definition?.type === "function_definition") return `a default value or decorator of \`${name}\` (they run when the \`def\` runs, at import)`;
  if (statement.type === "if_statement") return "the `elif`/`else` branch of the main guard (it runs whenever the module is imported)";
  return "an import";
}
