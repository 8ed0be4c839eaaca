// Queues, locks and other synchronisation objects a module makes at import time from the
// default context, and those its functions read as globals (inherited by fork children,
// made afresh by each spawned one).
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import { readsAsGlobal } from "./globals";

/** Default-context Queue, Lock, Event... created when the module is imported: at module level or in a class body (not in a function or the main guard). */
export function moduleLevelSyncObjects(module: ModuleFacts): CreationSite[] {
  return module.index.memo("moduleLevelSyncObjects", () =>
    module.sites.filter((site) => {
      if (site.method !== "default" || site.startsProcesses || site.via.form === "context") return false;
      const kind = module.model.scopeOf(site.node).kind;
      return module.model.runsAt(site.node) === "import" && (kind === "module" || kind === "class");
    }),
  );
}

/**
 * Module-level objects bound to a name that a function of the module reads: under fork
 * workers share the parent's object through inheritance; under spawn each child re-creates
 * its own, so a queue never delivers and a lock excludes nothing.
 */
export function inheritedSyncObjects(module: ModuleFacts): CreationSite[] {
  return moduleLevelSyncObjects(module).filter((site) => {
    const assignment = module.index.parent(site.node);
    const target = assignment?.type === "assignment" ? module.index.field(assignment, "left") : null;
    if (target?.type !== "identifier") return false;
    const scope = module.model.scopeOf(site.node);
    if (scope.kind === "module") return readsAsGlobal(module, target.text);
    // A class attribute: its class is read as a global (`Server.stop_event.is_set()`), the attribute written after it.
    const cls = module.index.field(scope.node, "name")?.text;
    return !!cls && module.model.scopeOf(scope.node).kind === "module" && readsAsGlobal(module, cls) && module.text.includes(`.${target.text}`);
  });
}
