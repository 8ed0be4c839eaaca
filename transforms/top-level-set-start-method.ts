// SPS104: set_start_method at module top level, which every spawned child runs again.
import { defineTransform } from "../src/transform";
import { isNeverImported } from "../src/file-info";
import { argument } from "../src/python/literals";
import { insertFirstInGuard } from "../src/fix/python";
import { replace, type Edit } from "../src/fix/edits";
import type { SyntaxNode } from "../src/parse";
import type { ModuleFacts } from "../src/python/module";

export const topLevelSetStartMethod = defineTransform({
  code: "SPS104",
  name: "top-level-set-start-method",
  summary: "`set_start_method` at module top level runs again in every spawned child",
  fix: "sometimes",
  speaksOfStartMethodCall: true,
  check(context) {
    const { module, decision } = context;
    // Spawned children never run a notebook or a __main__.py: a call at their top level runs once.
    if (decision.role !== "app" || isNeverImported(context.file)) return;
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
  const { lines, text } = module;
  if (!guard || !lines.startsLine(statement.startIndex)) return null;
  const end = lines.lineEnd(statement.endIndex);
  const rest = /^[ \t\f]*(#[^\r\n]*)?/.exec(text.slice(statement.endIndex, end))!;
  if (!/^(\r\n|\r|\n)?$/.test(text.slice(statement.endIndex + rest[0].length, end))) return null;
  // The statement moves with its trailing comment.
  const moved = withForce(text, call, statement.startIndex, statement.endIndex + rest[0].length);
  const insertion = insertFirstInGuard(module, guard, moved);
  return insertion ? [replace(lines.lineStart(statement.startIndex), end, ""), insertion] : null;
}

/**
 * The text of [from, to) with `force=True` added to the call: in the guard it runs after
 * module-level code, where a `Lock()` or a library's `get_start_method()` may already have
 * fixed the context, and the plain call would raise "context has already been set".
 */
function withForce(text: string, call: SyntaxNode, from: number, to: number): string {
  const args = call.childForFieldName("arguments")!;
  if (argument(call, "force", 1)) return text.slice(from, to);
  const last = args.namedChildren.filter((a) => a.type !== "comment").pop();
  const at = last ? last.endIndex : args.startIndex + 1;
  return text.slice(from, at) + (last ? ", force=True" : "force=True") + text.slice(at, to);
}
