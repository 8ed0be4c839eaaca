// Queues, locks and other synchronisation objects a module makes at import time from the
// default context, and those its functions read as globals (inherited by fork children,
// made afresh by each spawned one).
import type { ModuleFacts } from "./module";
import type { CreationSite } from "./sites";
import { readsAsGlobal } from "./globals";

/** Default-context Queue, Lock, Event... created at module level when the module is imported (not in a function, class body or the main guard). */
export function moduleLevelSyncObjects(module: ModuleFacts): CreationSite[] {
  return module.index.memo("moduleLevelSyncObjects", () =>
    module.sites.filter((site) => {
      if (site.method !== "default" || site.startsProcesses || site.via.form === "context") return false;
      return module.model.runsAt(site.node) === "import" && module.model.scopeOf(site.node).kind === "module";
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
    return target?.type === "identifier" && readsAsGlobal(module, target.text);
  });
}
