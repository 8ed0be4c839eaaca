// SPS104: set_start_method at module top level, which every spawned child runs again.
import { defineTransform } from "../src/transform";
import { argument } from "../src/python/names";
import { insertFirstInGuard } from "../src/fix/python";
import { replace, type Edit } from "../src/fix/edits";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";

export const topLevelSetStartMethod = defineTransform({
  code: "SPS104",
  name: "top-level-set-start-method",
  summary: "`set_start_method` at module top level runs again in every spawned child",
  fix: "sometimes",
  check(context) {
    const { module, decision } = context;
    if (decision.role !== "app") return;
    for (const call of module.startMethodCalls) {
      const statement = call.topLevelStatement;
      // fork never re-imports the main module, so a top-level fork choice is harmless.
      if (!statement || call.method === "fork") continue;
      if (statement.type !== "expression_statement" || statement.namedChildren[0]?.id !== call.node.id) continue;
      context.report({
        node: call.node,
        message: 'Under spawn every child re-runs module top level, where `set_start_method` raises "context has already been set"; move it into the main guard',
        fix: moveIntoGuard(module, statement, call.node),
      });
    }
  },
});

function moveIntoGuard(module: ModuleFacts, statement: SyntaxNode, call: SyntaxNode): Edit[] | null {
  const guard = module.mainGuards[0];
  const { lines } = module;
  if (!guard || !lines.startsLine(statement.startIndex)) return null;
  const end = lines.lineEnd(statement.endIndex);
  if (!/^[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?$/.test(module.text.slice(statement.endIndex, end))) return null;
  const moved = insertFirstInGuard(module, guard, withForce(call));
  return moved ? [replace(lines.lineStart(statement.startIndex), end, ""), moved] : null;
}

/**
 * In the guard the call runs after module-level code, where a `Lock()` or a library's
 * `get_start_method()` may already have fixed the context: `force=True` keeps it from raising.
 */
function withForce(call: SyntaxNode): string {
  if (argument(call, "force", 1)) return call.text;
  const args = call.childForFieldName("arguments")!;
  const inner = call.text.slice(0, args.endIndex - call.startIndex - 1).replace(/,\s*$/, "");
  return `${inner}, force=True)`;
}
