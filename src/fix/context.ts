// The edit that gives one creation site an explicit context: `multiprocessing.get_context("spawn").Pool(...)`,
// `ProcessPoolExecutor(..., mp_context=multiprocessing.get_context("spawn"))`.
import type { ModuleFacts } from "../python/module";
import type { CreationSite } from "../python/sites";
import { argument } from "../python/literals";
import { contextExpression, moduleReference } from "./python";
import { insert, replace, type Edit } from "./edits";
import type { StartMethod } from "../options";

/** The edits that give one creation site an explicit context, or null where that is not safe. */
export function explicitContextFix(module: ModuleFacts, site: CreationSite, method: StartMethod): Edit[] | null {
  const via = site.via;
  if (via.form === "factory") {
    const callee = via.callee;
    if (callee.type === "attribute") {
      // multiprocessing.Pool -> multiprocessing.get_context("spawn").Pool
      const object = callee.childForFieldName("object")!;
      return [insert(object.endIndex, `.get_context("${method}")`)];
    }
    // Pool (from multiprocessing import Pool as P) -> multiprocessing.get_context("spawn").Pool
    const member = site.kind === "ProcessSubclass" ? "Process" : site.kind;
    const { text: ref, edits } = moduleReference(module, canonicalModule(via.module), reachedBy(module, site));
    return [...edits, replace(callee.startIndex, callee.endIndex, `${contextExpression(ref, method)}.${member}`)];
  }
  if (via.form === "parameter") {
    const call = site.node;
    const args = call.childForFieldName("arguments");
    if (!args || args.type !== "argument_list") return null;
    const given = argument(call, via.keyword, via.position);
    const { text: ref, edits } = moduleReference(module, via.module, reachedBy(module, site));
    const value = contextExpression(ref, method);
    if (given) {
      // An explicit `mp_context=None`: replace the None.
      return given.type === "none" ? [...edits, replace(given.startIndex, given.endIndex, value)] : null;
    }
    // With `**kwargs` the keyword may already be given: leave it to the user.
    if (args.namedChildren.some((a) => a.type === "dictionary_splat")) return null;
    const last = args.namedChildren.filter((a) => a.type !== "comment").pop();
    const keyword = `${via.keyword}=${value}`;
    if (!last) return [...edits, insert(args.startIndex + 1, keyword)];
    const { lines, text } = module;
    const after = text.slice(last.endIndex, args.endIndex - 1);
    const comma = /^\s*,/.exec(after);
    if (comma && lines.startsLine(last.startIndex) && /[\r\n]/.test(after)) {
      // One argument a line with a trailing comma: the keyword gets a line of its own.
      const nextLine = lines.lineEnd(last.endIndex + comma[0].length - 1);
      return [...edits, insert(nextLine, `${lines.indentAt(last.startIndex)}${keyword},${module.lineBreak}`)];
    }
    return [...edits, insert(last.endIndex, `, ${keyword}`)];
  }
  return null;
}

/** `from torch.multiprocessing import Pool` keeps torch's module; everything else multiprocessing. */
function canonicalModule(module: string): string {
  return module.startsWith("torch.multiprocessing") ? "torch.multiprocessing" : "multiprocessing";
}

/** Where the module's import must stand for the site to see it: above the site when it runs with the module, anywhere when it runs in a function. */
function reachedBy(module: ModuleFacts, site: CreationSite): number {
  return module.model.runsAt(site.node) === "call" ? Number.POSITIVE_INFINITY : site.node.startIndex;
}
