// SPS105: the fork start method chosen explicitly: the user's decision, kept and reported.
import { defineTransform } from "../src/transform";
import { startMethodChoices } from "../src/python/choices";

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
