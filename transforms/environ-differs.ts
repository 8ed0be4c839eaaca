// SPS304: seen by `spawnsafe verify`: os.environ in a spawned child differs from the parent's.
import { defineRuntimeRule } from "../src/runtime-rule";

export const environDiffers = defineRuntimeRule({
  code: "SPS304",
  name: "environ-differs",
  summary: "os.environ in a spawned child differs from the parent's when the process was started (seen by verify)",
  fix: "never",
});
