// The project around the files of a run: its root, its modules, the functions that start
// processes across files (through imports and re-exports), and its entry points.
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeSource, parsePython, firstSyntaxError, type SyntaxNode } from "../parse";
import { analyzeModule, type ModuleContext, type ModuleFacts } from "../python/module";
import { discover } from "./discover";
import { entryPoints, type EntryPoint } from "./entrypoints";

const ROOT_MARKERS = ["pyproject.toml", "setup.cfg", "setup.py", ".git"];

/** The nearest directory at or above `start` holding a pyproject.toml, setup.cfg, setup.py or .git. */
export function findRoot(start: string): string | null {
  let dir = path.resolve(start);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
  for (;;) {
    if (ROOT_MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export interface Project {
  root: string;
  entryPoints: EntryPoint[];
  /** Module name by absolute file path. */
  moduleOf: Map<string, string>;
  /** Qualified names of project functions that start processes, each with its chain. */
  startingFunctions: Record<string, string[]>;
}

/** Where module names start: the root, and `src/` in a src layout. */
function sourceRoots(root: string): string[] {
  const src = path.join(root, "src");
  return fs.existsSync(src) && fs.statSync(src).isDirectory() ? [src, root] : [root];
}

export function moduleNameOf(file: string, roots: string[]): string | null {
  for (const base of roots) {
    const rel = path.relative(base, file);
    if (rel.startsWith("..") || path.isAbsolute(rel)) continue;
    const parts = rel.replace(/\.py$/, "").split(path.sep);
    if (parts[parts.length - 1] === "__init__") parts.pop();
    if (parts.length === 0 || !parts.every((p) => /^[A-Za-z_]\w*$/.test(p))) return null;
    return parts.join(".");
  }
  return null;
}

/** The package a module's relative imports resolve against. */
export function packageOf(file: string, moduleName: string | null): string | null {
  if (!moduleName) return null;
  if (path.basename(file) === "__init__.py") return moduleName;
  const dot = moduleName.lastIndexOf(".");
  return dot < 0 ? null : moduleName.slice(0, dot);
}

export function contextFor(project: Project | null, file: string): ModuleContext {
  if (!project) return { packageName: null, startingFunctions: {} };
  const name = project.moduleOf.get(file) ?? null;
  return { packageName: packageOf(file, name), startingFunctions: project.startingFunctions };
}

interface FunctionSummary {
  qname: string;
  /** "pool.py:8 multiprocessing.Pool" when it creates processes itself. */
  direct: string | null;
  /** Qualified names it calls. */
  calls: string[];
}

interface ModuleSummary {
  name: string;
  functions: FunctionSummary[];
  /** Module-level names bound by imports: what re-exports resolve through. */
  imports: Map<string, string>;
}

/** Words a module must contain to start processes itself. */
const CREATES = /multiprocessing|ProcessPoolExecutor/;

/**
 * Builds the project model for a run: every Python file under the root is indexed by
 * module name; files that create processes are summarised, then, until nothing changes,
 * the files that mention a function found to start processes, so that callers of callers
 * are found without parsing the whole tree.
 */
export function buildProject(root: string, exclude: string[] = []): Project {
  const roots = sourceRoots(root);
  const files = discover([root], exclude).files.filter((f) => f.endsWith(".py"));
  const moduleOf = new Map<string, string>();
  for (const f of files) {
    const name = moduleNameOf(f, roots);
    if (name) moduleOf.set(f, name);
  }
  const texts = new Map<string, string>();
  const read = (f: string): string | null => {
    if (texts.has(f)) return texts.get(f)!;
    let text: string | null = null;
    try {
      text = decodeSource(fs.readFileSync(f)).text;
    } catch {
      text = null;
    }
    if (text !== null) texts.set(f, text);
    return text;
  };

  const summaries = new Map<string, ModuleSummary>();
  const summarizeFile = (f: string) => {
    const name = moduleOf.get(f);
    const text = read(f);
    if (!name || text === null || summaries.has(name)) return;
    const tree = parsePython(text);
    if (firstSyntaxError(tree)) return;
    const facts = analyzeModule(text, tree, { packageName: packageOf(f, name), startingFunctions: {} });
    summaries.set(name, summarize(facts, name, path.relative(root, f).split(path.sep).join("/")));
  };

  for (const f of moduleOf.keys()) {
    const text = read(f);
    if (text !== null && CREATES.test(text)) summarizeFile(f);
  }
  let starting = startingFunctions(summaries);
  // Callers of what starts processes, wherever they are: re-read only files naming them.
  for (let grew = true; grew; ) {
    grew = false;
    const wanted = new Set(Object.keys(starting).map((q) => q.slice(q.lastIndexOf(".") + 1)));
    const pattern = wanted.size ? new RegExp(`\\b(${[...wanted].map(escapeRegExp).join("|")})\\b`) : null;
    if (!pattern) break;
    for (const f of moduleOf.keys()) {
      if (summaries.has(moduleOf.get(f)!)) continue;
      const text = read(f);
      if (text !== null && pattern.test(text)) {
        summarizeFile(f);
        grew = true;
      }
    }
    if (grew) starting = startingFunctions(summaries);
  }
  return { root, entryPoints: entryPoints(root), moduleOf, startingFunctions: starting };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A module's functions (and methods of its classes): what each creates and calls. */
function summarize(facts: ModuleFacts, moduleName: string, relPath: string): ModuleSummary {
  const topLevel = new Set(facts.statements.map((s) => definitionName(s)).filter((n): n is string => !!n));
  const functions: FunctionSummary[] = [];
  const addFunction = (fn: SyntaxNode, qname: string, className: string | null) => {
    const site = facts.sites.find((s) => s.startsProcesses && s.node.startIndex >= fn.startIndex && s.node.endIndex <= fn.endIndex);
    const direct = site ? `${relPath}:${facts.lines.position(site.node.startIndex).line} ${calleeText(site.node)}` : null;
    const calls: string[] = [];
    for (const call of fn.descendantsOfType("call")) {
      const target = callTarget(facts, call, moduleName, topLevel, className);
      if (target) calls.push(target);
    }
    functions.push({ qname, direct, calls });
  };
  for (const statement of facts.statements) {
    const def = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
    if (!def) continue;
    const name = def.childForFieldName("name")?.text;
    if (!name) continue;
    if (def.type === "function_definition") addFunction(def, `${moduleName}.${name}`, null);
    if (def.type === "class_definition") {
      for (const member of def.childForFieldName("body")?.namedChildren ?? []) {
        const method = member.type === "decorated_definition" ? member.childForFieldName("definition") : member;
        const methodName = method?.type === "function_definition" ? method.childForFieldName("name")?.text : null;
        if (method && methodName) addFunction(method, `${moduleName}.${name}.${methodName}`, name);
      }
    }
  }
  return { name: moduleName, functions, imports: facts.names.moduleImports() };
}

function definitionName(statement: SyntaxNode): string | null {
  const def = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
  if (def?.type !== "function_definition" && def?.type !== "class_definition") return null;
  return def.childForFieldName("name")?.text ?? null;
}

function calleeText(site: SyntaxNode): string {
  return site.type === "call" ? site.childForFieldName("function")!.text : site.text;
}

/** The qualified name a call invokes, when it names something in the project. */
function callTarget(facts: ModuleFacts, call: SyntaxNode, moduleName: string, topLevel: Set<string>, className: string | null): string | null {
  const callee = call.childForFieldName("function");
  if (!callee) return null;
  const value = facts.names.resolve(callee);
  if (value?.kind === "qualified") return value.qname;
  if (callee.type === "identifier" && topLevel.has(callee.text)) return `${moduleName}.${callee.text}`;
  if (callee.type !== "attribute") return null;
  const object = callee.childForFieldName("object")!;
  const attr = callee.childForFieldName("attribute")!.text;
  // self.method() inside a class; Class(...).method() on a class of the project.
  if (object.type === "identifier" && object.text === "self" && className) return `${moduleName}.${className}.${attr}`;
  if (object.type === "call") {
    const cls = object.childForFieldName("function");
    const clsValue = facts.names.resolve(cls);
    if (clsValue?.kind === "qualified") return `${clsValue.qname}.${attr}`;
    if (cls?.type === "identifier" && topLevel.has(cls.text)) return `${moduleName}.${cls.text}.${attr}`;
  }
  return null;
}

/**
 * Every function that starts processes, directly or through calls into the project, and
 * every name the project re-exports it under (`from .jobs import run_all` in __init__.py
 * makes `pkg.run_all` one), each with the chain that shows it.
 */
function startingFunctions(summaries: Map<string, ModuleSummary>): Record<string, string[]> {
  const byName = new Map<string, FunctionSummary>();
  for (const m of summaries.values()) for (const f of m.functions) byName.set(f.qname, f);
  const canonical = (qname: string, depth = 0): string => {
    if (byName.has(qname) || depth > 8) return qname;
    const parts = qname.split(".");
    for (let i = parts.length - 1; i > 0; i--) {
      const module = summaries.get(parts.slice(0, i).join("."));
      const bound = module?.imports.get(parts[i]);
      if (bound) return canonical([bound, ...parts.slice(i + 1)].join("."), depth + 1);
    }
    return qname;
  };
  const chains: Record<string, string[]> = {};
  for (const f of byName.values()) if (f.direct) chains[f.qname] = [f.direct];
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of byName.values()) {
      if (chains[f.qname]) continue;
      for (const call of f.calls) {
        const target = canonical(call);
        if (chains[target]) {
          chains[f.qname] = [target, ...chains[target]];
          changed = true;
          break;
        }
      }
    }
  }
  // Re-exports: the names other modules import it under.
  for (const m of summaries.values()) {
    for (const [name, bound] of m.imports) {
      const target = canonical(bound);
      if (chains[target] && !chains[`${m.name}.${name}`]) chains[`${m.name}.${name}`] = chains[target];
    }
  }
  return chains;
}
