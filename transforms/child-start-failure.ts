// SPS302: seen by `spawnsafe verify`: a spawned child failed before the user's code ran.
import { defineRuntimeRule } from "../src/runtime-rule";

export const childStartFailure = defineRuntimeRule({
  code: "SPS302",
  name: "child-start-failure",
  summary: "A spawned child failed before the user's code ran: an import error, a name it cannot find (seen by verify)",
  fix: "never",
});
