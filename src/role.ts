// The app-or-library decision for one file, with the evidence the report gives for it.
import type { ModuleFacts } from "./python/module";
import type { FileInfo } from "./file-info";
import type { Options } from "./options";

/** How a file is treated: an application gets the global start method, a library explicit contexts. */
export interface Decision {
  role: "app" | "library" | "none";
  reason: string;
}

export function decideRole(module: ModuleFacts, file: FileInfo, options: Pick<Options, "mode" | "modeFrom">): Decision {
  if (options.mode === "app") return { role: "app", reason: options.modeFrom ?? "--mode app" };
  if (options.mode === "lib") return { role: "library", reason: options.modeFrom ?? "--mode lib" };
  if (!usesProcesses(module)) return { role: "none", reason: "creates no processes" };
  if (file.isMainModule) return { role: "app", reason: "a package's __main__.py, run as a program by `python -m`" };
  const project = file.project;
  if (project && project.entryPoints.length > 0) {
    // An installed script imports the module and calls the function: a main guard in it
    // never runs, so the start method cannot be set there; explicit contexts work however
    // the module is started or imported.
    const named = project.entryPoints.map((e) => `\`${e.name}\` = ${project.module}${e.attr ? `:${e.attr}` : ""} (${e.source})`).join(", ");
    return { role: "library", reason: `entry point ${named}: a program started by calling its function, not through a main guard, so its processes get explicit contexts` };
  }
  if (file.packageDir !== null) return { role: "library", reason: `inside package ${file.packageDir} (it has __init__.py)` };
  // src/ is importable code only in a project that publishes it; elsewhere it is just a folder.
  if (project?.underSrc && project.published) return { role: "library", reason: `under src/ of a src layout, published by ${project.published}` };
  if (project?.pyModule) return { role: "library", reason: `a top-level module the project publishes (${project.pyModule})` };
  if (module.mainGuards.length > 0) return { role: "app", reason: 'run as a program: it has an `if __name__ == "__main__":` block' };
  if (module.startingStatements.size > 0) return { role: "app", reason: startsReason(module) };
  if (module.sites.length > 0) return { role: "library", reason: "creates processes but is not run as a program, so it is fixed wherever it is imported from" };
  return { role: "none", reason: "creates no processes" };
}

/** The module makes processes or their objects, chooses a method, or starts processes through another module at import. */
function usesProcesses(module: ModuleFacts): boolean {
  return module.sites.length > 0 || module.startMethodCalls.length > 0 || module.contextCalls.length > 0 || module.startingStatements.size > 0 || module.externalStarts.size > 0;
}

function startsReason(module: ModuleFacts): string {
  const external = [...module.externalStarts.values()].find((e) => [...module.startingStatements].some((s) => s.startIndex <= e.node.startIndex && e.node.endIndex <= s.endIndex));
  if (external) return `run as a program: it starts processes at module top level, through ${external.chain[0]}`;
  return "run as a program: it starts processes at module top level";
}
