// Where a context object goes: `ctx = multiprocessing.get_context()` names no method, and the
// fix that names one moves everything made from it. The fix is only as safe as those sites,
// and only when every use of the context is seen: a creation call on it (`ctx.Pool(...)`,
// `class W(ctx.Process)`), a site it is handed to as its context (`mp_context=ctx`), a question
// that does not depend on the method (`ctx.cpu_count()`), or a test of the object. Anything
// else (handed to a function or a class, stored, returned, `ctx.get_start_method()`) leaves
// what is made from it unknown.
import { type SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import { argument } from "./literals";
import { isNameRead } from "./globals";
import { roleOf } from "./bindings";
import { onlyTested } from "./worker-functions";

/** Methods of a context whose answer is the same whatever its start method. */
const METHOD_BLIND = new Set(["cpu_count", "active_children", "current_process", "parent_process", "freeze_support", "get_logger", "log_to_stderr"]);

export interface ContextFlow {
  /** The creation sites made from the context. */
  sites: CreationSite[];
  /** A use that is not followed, or null when every use is seen. */
  escape: SyntaxNode | null;
}

export function contextFlow(module: ModuleFacts, call: SyntaxNode): ContextFlow {
  return module.index.memo(`contextFlow:${call.id}`, () => findContextFlow(module, call));
}

function findContextFlow(module: ModuleFacts, call: SyntaxNode): ContextFlow {
  const { index, model } = module;
  const sites = new Set<CreationSite>();
  // A use of the context value: true when it is seen (its sites added), false when it goes elsewhere.
  const seen = (use: SyntaxNode): boolean => {
    const holder = index.parent(use);
    if (holder?.type === "attribute" && index.field(holder, "object")?.id === use.id) {
      const site = module.sites.find((s) => s.via.form === "context" && s.via.callee.id === holder.id);
      if (site) return !!sites.add(site);
      return METHOD_BLIND.has(index.field(holder, "attribute")?.text ?? "") && index.parent(holder)?.type === "call";
    }
    const handed = module.sites.find((s) => s.via.form === "parameter" && s.node.type === "call" && argument(s.node, s.via.keyword, s.via.position)?.id === use.id);
    if (handed) return !!sites.add(handed);
    return onlyTested(use, holder);
  };
  let expr = call;
  let parent = index.parent(expr);
  while (parent?.type === "parenthesized_expression") {
    expr = parent;
    parent = index.parent(parent);
  }
  if (!parent || parent.type === "expression_statement") return { sites: [], escape: null };
  const name = parent.type === "assignment" && index.field(parent, "right")?.id === expr.id ? index.field(parent, "left") : null;
  if (!name) {
    const escape = seen(expr) ? null : expr;
    return { sites: [...sites], escape };
  }
  if (name.type !== "identifier") return { sites: [], escape: name };
  const scope = model.bindingsReaching(name)[0]?.scope;
  if (!scope) return { sites: [], escape: name };
  // Every read of the name in its scope (and in the functions that see it): a name bound to other
  // values too is followed all the same, which only adds sites to prove.
  for (const id of index.identifiers(name.text)) {
    if (id.id === name.id || !isNameRead(index, id) || roleOf(index, id).role !== "read" || model.bindingsReaching(id)[0]?.scope !== scope) continue;
    if (!seen(id)) return { sites: [...sites], escape: id };
  }
  return { sites: [...sites], escape: null };
}
