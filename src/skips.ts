// Why a file that creates processes from the default context is left as it is: the program
// already chose a start method. default-start-method (SPS102) and default-context-in-library
// (SPS103) stand down for a file that calls `set_start_method`; where no finding of its own
// speaks of that call (the transforms marked `speaksOfStartMethodCall` do), the report says why
// nothing was done, so a reader of the report does not take silence for "checked and fine".
import { inFunctionNamed } from "./python/scopes";
import type { ModuleFacts } from "./python/module";
import type { Decision } from "./role";
import type { Options } from "./options";

export interface Skip {
  line: number;
  column: number;
  reason: string;
}

/**
 * Why each `set_start_method` call the file's findings leave unmentioned was left as it is.
 * `spoken`: the lines where a finding already speaks of the call (Transform.speaksOfStartMethodCall).
 */
export function skipsOf(module: ModuleFacts, decision: Decision, options: Pick<Options, "method">, spoken: ReadonlySet<number>, entryFunctions: ReadonlySet<string> = new Set()): Skip[] {
  if (decision.role !== "app" && decision.role !== "library") return [];
  if (module.startMethodCalls.length === 0) return [];
  const sites = module.sites.filter((s) => s.method === "default" && s.via.form !== "context").length;
  if (sites === 0) return [];
  const what = `(${sites} creation site${sites === 1 ? "" : "s"} on the default context)`;
  const skips: Skip[] = [];
  for (const call of module.startMethodCalls) {
    const at = module.lines.position(call.node.startIndex);
    if (spoken.has(at.line)) continue;
    let reason: string;
    if (call.method === null) {
      reason = `left as it is: this \`set_start_method\` picks its method at run time, which spawnsafe cannot read; the file's processes ${what} are not changed`;
    } else if (call.method === "default") {
      reason = `left as it is: \`set_start_method\` is called without a method; the file's processes ${what} are not changed`;
    } else if (call.method === options.method && (decision.role === "app" || inFunctionNamed(call.node, entryFunctions))) {
      // Already migrated (in a library, first in the function a console script calls): nothing to say.
      continue;
    } else if (decision.role === "app") {
      reason = `left as it is: the program already chooses "${call.method}" here, so "${options.method}" is not set over it`;
    } else {
      reason = `left as it is: the start method chosen here ("${call.method}") applies only when this module runs as a program; imported, its processes ${what} follow the importing program's method`;
    }
    skips.push({ line: at.line, column: at.column, reason });
  }
  return skips;
}

