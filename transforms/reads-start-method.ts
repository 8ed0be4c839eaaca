// SPS305: seen by `spawnsafe verify`: code read the start method that the move to spawn changes.
import { defineRuntimeRule } from "../src/runtime-rule";

export const readsStartMethod = defineRuntimeRule({
  code: "SPS305",
  name: "reads-start-method",
  summary: "Code read the start method at run time (get_start_method()), whose answer the move off fork changes (seen by verify)",
  fix: "never",
});
