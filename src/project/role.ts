// The app-or-library decision for one file, with the reason the report gives.
import type { ModuleFacts } from "../python/module";
import type { Decision, FileInfo, Mode } from "../transform";

export function decideRole(module: ModuleFacts, file: FileInfo, mode: Mode): Decision {
  if (mode === "app") return { role: "app", reason: "--mode app" };
  if (mode === "lib") return { role: "library", reason: "--mode lib" };
  if (file.isMainModule) return { role: "app", reason: "a package's __main__.py, run as a program by `python -m`" };
  if (file.packageDir !== null) return { role: "library", reason: `inside package ${file.packageDir} (it has __init__.py)` };
  if (module.mainGuards.length > 0) return { role: "app", reason: 'run as a program: it has an `if __name__ == "__main__":` block' };
  if (module.startingStatements.size > 0) return { role: "app", reason: "run as a program: it starts processes at module top level" };
  if (module.sites.length > 0) return { role: "library", reason: "creates processes but is not run as a program, so it is fixed wherever it is imported from" };
  return { role: "none", reason: "creates no processes" };
}
