// SPS301: seen by `spawnsafe verify`: something handed to another process does not pickle.
import { defineRuntimeRule } from "../src/verify/rule";

export const unpicklableArgument = defineRuntimeRule({
  code: "SPS301",
  name: "unpicklable-argument",
  summary: "An argument, task, initarg or queue item handed to another process cannot be pickled (seen by verify)",
  fix: "never",
});
