// SPS206: worker functions defined in code that spawned children cannot import (a notebook's __main__).
import { defineTransform } from "../src/transform";
import { isNotebook } from "../src/project/notebook";
import { classOfBase, definitionOf, unwrapPartial, workerUses } from "../src/python/workers";

export const notReimportable = defineTransform({
  code: "SPS206",
  name: "not-reimportable",
  summary: "A worker function or Process subclass is defined in a notebook, which spawned children cannot import",
  fix: "never",
  check(context) {
    const { module, file } = context;
    // Only notebooks are known not to be importable; see the documentation for why `.py`
    // files (cell scripts, `python -c`, stdin) are not judged.
    if (!isNotebook(file.path)) return;
    const advice = "move it to a .py module next to the notebook and import it from there";
    for (const use of workerUses(module)) {
      const expr = unwrapPartial(module, use.expr);
      if (expr.type !== "identifier") continue;
      const definition = definitionOf(module, expr);
      // Nested functions fail for another reason: unpicklable-target (SPS202).
      if (!definition || definition.place === "function") continue;
      context.report({
        node: expr,
        message: `\`${expr.text}\`, handed to ${use.via}, is defined in the notebook, whose \`__main__\` a spawned child cannot import: it fails with "Can't get attribute '${expr.text}' on <module '__main__' (built-in)>"; ${advice}`,
        fix: null,
      });
    }
    for (const site of module.sites) {
      if (site.kind !== "ProcessSubclass" || site.method === "fork") continue;
      const name = classOfBase(site.node)?.childForFieldName("name");
      if (!name) continue;
      context.report({
        node: name,
        message: `Process subclass \`${name.text}\` is defined in the notebook, whose \`__main__\` a spawned child cannot import: it fails with "Can't get attribute '${name.text}' on <module '__main__' (built-in)>"; ${advice}`,
        fix: null,
      });
    }
  },
});
