// Project fixtures (fixtures/<group>/<case>/project/): a scratch copy of the tree, and how to
// run it the way users do, including a console script as pip installs it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packagingMetadata } from "../../src/project/entrypoints";
import type { FixtureCase } from "../fixture-cases";

export function copyProjectToScratch(c: FixtureCase): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-project-"));
  fs.cpSync(path.join(c.dir, "project"), scratch, { recursive: true, filter: (src) => path.basename(src) !== "__pycache__" });
  return scratch;
}

/** Every file of a tree, relative, with forward slashes, sorted. */
export function treeFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "__pycache__") walk(full);
      } else if (entry.isFile()) {
        found.push(path.relative(dir, full).split(path.sep).join("/"));
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found.sort();
}

export interface Command {
  entry: string;
  args: string[];
  pythonPath: string[];
  /** A directory to remove afterwards (the console script's). */
  scratch: string | null;
}

/**
 * What to run for a project case: `run` ("main.py" or "-m pkg"), or `script`: the console
 * script of that name, written as pip writes it (import the function, call it under a main
 * guard) into a directory outside the project, so that `spawnsafe fix .` never sees it.
 */
export function projectCommand(c: FixtureCase, projectDir: string): Command {
  const pythonPath = c.options.pythonPath.map((p) => path.join(projectDir, p));
  if (c.options.script) {
    const ep = packagingMetadata(projectDir).entryPoints.find((e) => e.name === c.options.script && e.attr);
    if (!ep) throw new Error(`no console script ${c.options.script} in the project's metadata`);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-bin-"));
    const [object, ...rest] = ep.attr!.split(".");
    const call = [object, ...rest].join(".");
    const wrapper = [
      "# -*- coding: utf-8 -*-",
      "import re",
      "import sys",
      `from ${ep.module} import ${object}`,
      "if __name__ == '__main__':",
      "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])",
      `    sys.exit(${call}())`,
      "",
    ].join("\n");
    const file = path.join(bin, c.options.script);
    fs.writeFileSync(file, wrapper, { mode: 0o755 });
    return { entry: file, args: c.options.args, pythonPath, scratch: bin };
  }
  const run = c.options.run as string;
  if (run.startsWith("-m ")) return { entry: "-m", args: [run.slice(3).trim(), ...c.options.args], pythonPath, scratch: null };
  return { entry: run, args: c.options.args, pythonPath, scratch: null };
}
