// SPS301: an argument handed to a child that spawn cannot pickle (args, kwargs, initargs):
// found statically where the value is known, and at run time by `spawnsafe verify`.
import { defineTransform } from "../src/transform";
import { handedOver } from "../src/python/crossing";
import { failureMessage } from "../src/python/pickling";

export const unpicklableArgument = defineTransform({
  code: "SPS301",
  name: "unpicklable-argument",
  summary: "An argument, initarg, task or queue item handed to another process cannot be pickled (also seen by verify)",
  fix: "never",
  hazard: true,
  check(context) {
    const { module } = context;
    for (const site of module.sites) {
      if (!site.startsProcesses) continue;
      for (const proof of handedOver(module, site)) {
        if (proof.verdict !== "failed" || !/^(args|kwargs|initargs)/.test(proof.path)) continue;
        context.report({ node: proof.node, message: failureMessage(module, proof), fix: null });
      }
    }
  },
});
