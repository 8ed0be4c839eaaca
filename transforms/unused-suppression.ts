// SPS900: a `# spawnsafe: ignore[...]` comment that silences nothing.
import { defineTransform } from "../src/transform";

/** Which suppressions were used is known only once every other transform has reported,
 *  so the engine reports this finding itself (src/engine.ts, `suppress`). */
export const unusedSuppression = defineTransform({
  code: "SPS900",
  name: "unused-suppression",
  summary: "A `# spawnsafe: ignore` comment that silences no finding",
  fix: "never",
  check() {},
});
