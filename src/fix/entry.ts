// Setting the start method once, first in the function a console script calls: the program's
// entry when the program is started by calling a function (the script pip installs imports
// the module and calls it), and what projects did by hand where per-site contexts would
// disagree with code that reads the default context.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "../python/module";
import type { FileInfo } from "../file-info";
import type { StartMethod } from "../options";
import { insert, type Edit } from "./edits";
import { blockStatements, isDocstring, moduleReference } from "./python";

export interface EntryFix {
  edits: Edit[];
  /** `main()`, and the script that calls it: for the message. */
  function: string;
  script: string;
}

/**
 * The edits that put `set_start_method(method, force=True)` first in the body of a console
 * script's function defined at this module's top level (after its docstring), or null when
 * the module is no script's entry, the function is not a plain top-level `def`, or its body
 * shares the `def` line.
 */
export function entryFunctionFix(module: ModuleFacts, file: FileInfo, method: StartMethod): EntryFix | null {
  for (const entry of file.project?.entryPoints ?? []) {
    if (!entry.attr || entry.attr.includes(".")) continue;
    const fn = topLevelFunction(module, entry.attr);
    const body = fn?.childForFieldName("body");
    if (!fn || !body) continue;
    const inside = blockStatements(body);
    const first = inside[0] && isDocstring(inside[0]) ? inside[1] : inside[0];
    if (!first || !module.lines.startsLine(first.startIndex)) continue;
    if (module.lines.position(first.startIndex).line === module.lines.position(fn.startIndex).line) continue;
    // multiprocessing as the module already names it above the function, else an import added at the top.
    const { text: ref, edits } = moduleReference(module, "multiprocessing", fn.startIndex);
    const indent = module.lines.indentAt(first.startIndex);
    const call = `${ref}.set_start_method("${method}", force=True)`;
    return { edits: [...edits, insert(module.lines.lineStart(first.startIndex), indent + call + module.lineBreak)], function: `${entry.attr}()`, script: entry.name };
  }
  return null;
}

/** The function a name is bound to by a top-level `def` (decorated or not), when that is its only binding. */
function topLevelFunction(module: ModuleFacts, name: string): SyntaxNode | null {
  const bindings = module.model.bindingsIn(module.model.scopes.module, name);
  if (bindings.length !== 1 || bindings[0].kind !== "def") return null;
  const node = bindings[0].node;
  return node.type === "function_definition" ? node : null;
}
