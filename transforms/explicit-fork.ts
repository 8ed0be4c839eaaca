// SPS105: the fork start method chosen explicitly: the user's decision, kept and reported.
import { defineTransform } from "../src/transform";

export const explicitFork = defineTransform({
  code: "SPS105",
  name: "explicit-fork",
  summary: "The `fork` start method is chosen explicitly",
  fix: "never",
  check(context) {
    const { module } = context;
    const calls = [
      ...module.startMethodCalls.map((c) => ({ ...c, what: "set_start_method" })),
      ...module.contextCalls.map((c) => ({ ...c, what: "get_context" })),
    ];
    for (const call of calls) {
      if (call.method !== "fork") continue;
      context.report({
        node: call.node,
        message: `\`${call.what}("fork")\` is kept: fork deadlocks when the parent holds locks in other threads, and Python 3.14 no longer defaults to it`,
        fix: null,
      });
    }
  },
});
