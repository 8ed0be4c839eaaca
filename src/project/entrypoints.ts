// Packaging metadata: whether the project publishes packages, and its entry points (the
// functions a console script runs). Read from pyproject.toml, setup.cfg and a setup.py whose
// setup() arguments are written literally.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { parsePython, type SyntaxNode } from "../parse";
import { stringLiteral } from "../python/literals";

export interface EntryPoint {
  /** The script's name ("mytool"). */
  name: string;
  /** The module it imports ("pkg.cli"). */
  module: string;
  /** The object it calls ("main", or "App.run"), or null for a module-only entry. */
  attr: string | null;
  /** The entry-point group: "console_scripts", "gui_scripts", or a plugin group. */
  group: string;
  /** Where it is declared, for reports: "pyproject.toml [project.scripts]". */
  source: string;
}

/** Groups whose entries are programs a user runs; other groups are plugins loaded into someone else's program. */
const PROGRAM_GROUPS = new Set(["console_scripts", "gui_scripts"]);

export function isProgram(ep: EntryPoint): boolean {
  return PROGRAM_GROUPS.has(ep.group);
}

export interface PackagingMetadata {
  /** The evidence that the project publishes packages ("pyproject.toml [project] name = \"x\""), or null. */
  published: string | null;
  entryPoints: EntryPoint[];
  /** Top-level modules it publishes (`py-modules`, `py_modules`). */
  pyModules: string[];
}

export function packagingMetadata(root: string): PackagingMetadata {
  const found: PackagingMetadata = { published: null, entryPoints: [], pyModules: [] };
  for (const read of [fromPyproject, fromSetupCfg, fromSetupPy]) {
    const part = read(root);
    if (!part) continue;
    found.published ??= part.published;
    found.entryPoints.push(...part.entryPoints);
    found.pyModules.push(...part.pyModules);
  }
  return found;
}

/** `pkg.mod:func` (extras and spaces allowed). */
function parseReference(name: string, ref: string, group: string, source: string): EntryPoint | null {
  const m = /^\s*([A-Za-z_][\w.]*)\s*(?::\s*([A-Za-z_][\w.]*))?\s*(?:\[.*\])?\s*$/.exec(ref);
  if (!m) return null;
  return { name: name.trim(), module: m[1], attr: m[2] ?? null, group, source };
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function fromPyproject(root: string): PackagingMetadata | null {
  const text = readText(path.join(root, "pyproject.toml"));
  if (text === null) return null;
  let doc: Record<string, any>;
  try {
    doc = parseToml(text) as Record<string, any>;
  } catch {
    // A broken pyproject.toml is reported by the configuration loader when it matters.
    return null;
  }
  const found: PackagingMetadata = { published: null, entryPoints: [], pyModules: [] };
  const project = isTable(doc.project) ? doc.project : null;
  const poetry = isTable(doc.tool) && isTable(doc.tool.poetry) ? doc.tool.poetry : null;
  if (project && typeof project.name === "string") found.published = `pyproject.toml [project] name = "${project.name}"`;
  else if (poetry && typeof poetry.name === "string") found.published = `pyproject.toml [tool.poetry] name = "${poetry.name}"`;
  const table = (t: unknown, group: string, source: string) => {
    if (!isTable(t)) return;
    for (const [name, ref] of Object.entries(t)) {
      // Poetry also allows `name = { reference = "pkg.mod:func", type = "console" }`.
      const value = typeof ref === "string" ? ref : isTable(ref) && typeof ref.reference === "string" ? ref.reference : null;
      const ep = value === null ? null : parseReference(name, value, group, source);
      if (ep) found.entryPoints.push(ep);
    }
  };
  table(project?.scripts, "console_scripts", "pyproject.toml [project.scripts]");
  table(project?.["gui-scripts"], "gui_scripts", "pyproject.toml [project.gui-scripts]");
  if (isTable(project?.["entry-points"])) {
    for (const [group, t] of Object.entries(project["entry-points"] as Record<string, unknown>)) {
      table(t, group, `pyproject.toml [project.entry-points."${group}"]`);
    }
  }
  table(poetry?.scripts, "console_scripts", "pyproject.toml [tool.poetry.scripts]");
  const setuptools = isTable(doc.tool) && isTable(doc.tool.setuptools) ? doc.tool.setuptools : null;
  if (Array.isArray(setuptools?.["py-modules"])) found.pyModules.push(...setuptools["py-modules"].filter((m: unknown): m is string => typeof m === "string"));
  return found;
}

function isTable(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * setup.cfg: `[metadata] name`, `[options] py_modules`, and `[options.entry_points]` with
 * `console_scripts =` followed by indented `name = ref` lines.
 */
function fromSetupCfg(root: string): PackagingMetadata | null {
  const text = readText(path.join(root, "setup.cfg"));
  if (text === null) return null;
  const found: PackagingMetadata = { published: null, entryPoints: [], pyModules: [] };
  let section = "";
  let key = "";
  const value = (line: string) => {
    if (section === "options.entry_points" && key) {
      const m = /^\s*([^=]+?)\s*=\s*(.+)$/.exec(line);
      const ep = m ? parseReference(m[1], m[2], key, `setup.cfg [options.entry_points] ${key}`) : null;
      if (ep) found.entryPoints.push(ep);
    } else if (section === "options" && key === "py_modules") {
      found.pyModules.push(...line.split(/[\s,]+/).filter((m) => /^[A-Za-z_]\w*$/.test(m)));
    }
  };
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) {
      section = header[1].trim();
      key = "";
      continue;
    }
    if (/^\s*([#;]|$)/.test(line)) continue;
    const entry = /^(\S[^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (entry) {
      key = entry[1].trim();
      if (section === "metadata" && key === "name" && entry[2].trim()) found.published ??= `setup.cfg [metadata] name = ${entry[2].trim()}`;
      if (entry[2].trim()) value(entry[2]);
    } else {
      value(line);
    }
  }
  return found;
}

/** setup.py: a setup() call, with `entry_points=` and `py_modules=` when given literally. */
function fromSetupPy(root: string): PackagingMetadata | null {
  const text = readText(path.join(root, "setup.py"));
  if (text === null) return null;
  const tree = parsePython(text);
  const found: PackagingMetadata = { published: null, entryPoints: [], pyModules: [] };
  for (const call of tree.rootNode.descendantsOfType("call")) {
    const callee = call.childForFieldName("function")?.text ?? "";
    if (!/^(setuptools\.|distutils\.core\.)?setup$/.test(callee)) continue;
    found.published ??= "setup.py calls setup()";
    for (const kw of call.childForFieldName("arguments")?.namedChildren ?? []) {
      if (kw.type !== "keyword_argument") continue;
      const name = kw.childForFieldName("name")?.text;
      const value = kw.childForFieldName("value");
      if (name === "entry_points") {
        for (const [group, refs] of literalGroups(value)) {
          for (const item of listItems(refs)) {
            const ref = stringLiteral(item);
            const m = ref ? /^\s*([^=]+?)\s*=\s*(.+)$/.exec(ref) : null;
            const ep = m ? parseReference(m[1], m[2], group, `setup.py entry_points ${group}`) : null;
            if (ep) found.entryPoints.push(ep);
          }
        }
      } else if (name === "py_modules") {
        found.pyModules.push(...listItems(value).map(stringLiteral).filter((m): m is string => !!m));
      }
    }
  }
  return found;
}

/** `{"console_scripts": [...]}` or `dict(console_scripts=[...])`: each group with its list. */
function literalGroups(node: SyntaxNode | null): Array<[string, SyntaxNode | null]> {
  if (node?.type === "dictionary") {
    return node.namedChildren
      .filter((pair) => pair.type === "pair")
      .map((pair) => [stringLiteral(pair.childForFieldName("key")!) ?? "?", pair.childForFieldName("value")]);
  }
  if (node?.type === "call" && node.childForFieldName("function")?.text === "dict") {
    return (node.childForFieldName("arguments")?.namedChildren ?? [])
      .filter((kw) => kw.type === "keyword_argument")
      .map((kw) => [kw.childForFieldName("name")!.text, kw.childForFieldName("value")]);
  }
  return [];
}

function listItems(node: SyntaxNode | null): SyntaxNode[] {
  if (!node) return [];
  if (node.type === "list" || node.type === "tuple") return node.namedChildren;
  if (node.type === "string") return [node];
  return [];
}
