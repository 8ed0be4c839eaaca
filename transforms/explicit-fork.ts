// SPS105: the fork start method chosen explicitly: the user's decision, kept and reported.
import { type CheckContext, defineTransform } from "../src/transform";
import type { SyntaxNode } from "../src/parse";
import { methodBranches, startMethodChoices } from "../src/python/choices";
import { argument } from "../src/python/literals";

export const explicitFork = defineTransform({
  code: "SPS105",
  name: "explicit-fork",
  summary: "The `fork` start method is chosen explicitly",
  fix: "never",
  speaksOfStartMethodCall: true,
  check(context) {
    const { module } = context;
    // A fork choice made on some paths only leaves the others on the default: say which.
    const conditions = new Map(startMethodChoices(module).map((c) => [c.call.node.id, c.condition]));
    const calls = [
      ...module.startMethodCalls.map((c) => ({ ...c, what: "set_start_method" })),
      ...module.contextCalls.map((c) => ({ ...c, what: "get_context" })),
    ];
    for (const call of calls) {
      if (call.method === null) {
        reportForkBranches(call.node, call.what, context.report);
        continue;
      }
      if (call.method !== "fork") continue;
      const condition = call.what === "set_start_method" ? conditions.get(call.node.id) : null;
      const only = condition ? `. It runs only ${condition}: on every other path the default start method stays (forkserver on Linux from Python 3.14)` : "";
      context.report({
        node: call.node,
        message: `\`${call.what}("fork")\` is kept: fork deadlocks when the parent holds locks in other threads, and Python 3.14 no longer defaults to it${only}`,
        fix: null,
      });
    }
  },
});

/**
 * A method chosen by a conditional expression (`get_context("spawn" if ON_WINDOWS else "fork")`):
 * fork on the paths where its branch is taken, kept as the user's decision and reported with the
 * condition. The other branch needs nothing here: the hazards of its sites are their rules'.
 */
function reportForkBranches(node: SyntaxNode, what: string, report: CheckContext["report"]): void {
  const branches = methodBranches(argument(node, "method", 0));
  const fork = branches?.find((b) => b.method === "fork");
  if (!branches || !fork) return;
  const others = [...new Set(branches.filter((b) => b.method !== "fork").map((b) => (b.method === null ? "a method computed at run time" : b.method === "default" ? "the default" : `"${b.method}"`)))];
  report({
    node,
    message: `\`${what}("fork")\` is kept on paths where \`${fork.test}\` is ${fork.holds ? "true" : "false"} (${others.join(" or ")} on the others): fork deadlocks when the parent holds locks in other threads, and Python 3.14 no longer defaults to it`,
    fix: null,
  });
}
