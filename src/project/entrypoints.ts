// Entry points declared in packaging metadata: the functions a console script runs.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { parsePython, type SyntaxNode } from "../parse";
import { stringLiteral } from "../python/names";

export interface EntryPoint {
  /** The script's name ("mytool"). */
  name: string;
  /** The module it imports ("pkg.cli"). */
  module: string;
  /** The function it calls ("main"), or null for a module-only entry. */
  func: string | null;
  /** Where it is declared, for reports: "pyproject.toml [project.scripts]". */
  source: string;
}

/** `name = "pkg.mod:func"` (extras and spaces allowed). */
function parseReference(name: string, ref: string, source: string): EntryPoint | null {
  const m = /^\s*([\w.]+)\s*(?::\s*([\w.]+))?\s*(?:\[.*\])?\s*$/.exec(ref);
  if (!m) return null;
  return { name: name.trim(), module: m[1], func: m[2] ? m[2].split(".")[0] : null, source };
}

export function entryPoints(root: string): EntryPoint[] {
  return [...fromPyproject(root), ...fromSetupCfg(root), ...fromSetupPy(root)];
}

function fromPyproject(root: string): EntryPoint[] {
  const file = path.join(root, "pyproject.toml");
  if (!fs.existsSync(file)) return [];
  let doc: Record<string, any>;
  try {
    doc = parseToml(fs.readFileSync(file, "utf8")) as Record<string, any>;
  } catch {
    return [];
  }
  const found: EntryPoint[] = [];
  const table = (t: unknown, source: string) => {
    if (!t || typeof t !== "object") return;
    for (const [name, ref] of Object.entries(t as Record<string, unknown>)) {
      const ep = typeof ref === "string" ? parseReference(name, ref, source) : null;
      if (ep) found.push(ep);
    }
  };
  table(doc.project?.scripts, "pyproject.toml [project.scripts]");
  table(doc.project?.["gui-scripts"], "pyproject.toml [project.gui-scripts]");
  for (const [group, t] of Object.entries((doc.project?.["entry-points"] ?? {}) as Record<string, unknown>)) {
    table(t, `pyproject.toml [project.entry-points."${group}"]`);
  }
  table(doc.tool?.poetry?.scripts, "pyproject.toml [tool.poetry.scripts]");
  return found;
}

/** setup.cfg's [options.entry_points]: `console_scripts =` followed by indented `name = ref` lines. */
function fromSetupCfg(root: string): EntryPoint[] {
  const file = path.join(root, "setup.cfg");
  if (!fs.existsSync(file)) return [];
  const found: EntryPoint[] = [];
  let inSection = false;
  let group = "";
  for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
    const section = /^\s*\[([^\]]+)\]/.exec(line);
    if (section) {
      inSection = section[1].trim() === "options.entry_points";
      continue;
    }
    if (!inSection || /^\s*([#;]|$)/.test(line)) continue;
    const key = /^(\S[^=]*)=\s*(.*)$/.exec(line);
    if (key) {
      group = key[1].trim();
      if (key[2].trim()) addCfgLine(found, key[2], group);
      continue;
    }
    addCfgLine(found, line, group);
  }
  return found;
}

function addCfgLine(found: EntryPoint[], line: string, group: string): void {
  const m = /^\s*([^=]+?)\s*=\s*(.+)$/.exec(line);
  const ep = m ? parseReference(m[1], m[2], `setup.cfg [options.entry_points] ${group}`) : null;
  if (ep) found.push(ep);
}

/** setup.py's `setup(entry_points={...})` when given literally. */
function fromSetupPy(root: string): EntryPoint[] {
  const file = path.join(root, "setup.py");
  if (!fs.existsSync(file)) return [];
  const tree = parsePython(fs.readFileSync(file, "utf8"));
  const found: EntryPoint[] = [];
  for (const kw of tree.rootNode.descendantsOfType("keyword_argument")) {
    if (kw.childForFieldName("name")?.text !== "entry_points") continue;
    const value = kw.childForFieldName("value");
    if (value?.type !== "dictionary") continue;
    for (const pair of value.namedChildren) {
      if (pair.type !== "pair") continue;
      const group = stringLiteral(pair.childForFieldName("key")!) ?? "?";
      for (const item of listItems(pair.childForFieldName("value"))) {
        const text = stringLiteral(item);
        const m = text ? /^\s*([^=]+?)\s*=\s*(.+)$/.exec(text) : null;
        const ep = m ? parseReference(m[1], m[2], `setup.py entry_points ${group}`) : null;
        if (ep) found.push(ep);
      }
    }
  }
  return found;
}

function listItems(node: SyntaxNode | null): SyntaxNode[] {
  if (!node) return [];
  if (node.type === "list" || node.type === "tuple") return node.namedChildren;
  if (node.type === "string") return [node];
  return [];
}
