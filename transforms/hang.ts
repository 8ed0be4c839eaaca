// SPS303: seen by `spawnsafe verify`: the command was still running at --timeout.
import { defineRuntimeRule } from "../src/runtime-rule";

export const hang = defineRuntimeRule({
  code: "SPS303",
  name: "hang",
  summary: "The command was still running at --timeout: every Python process's stack, then the process group terminated (seen by verify)",
  fix: "never",
});
