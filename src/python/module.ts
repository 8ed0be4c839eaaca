// Facts about one Python module: its semantic model, creation sites, start-method choices,
// main guards, top-level statements and the code that starts processes.
import { parsePython, nodeStart, type SyntaxNode, type Tree } from "../parse";
import { LineIndex, indentUnitOf, lineBreakOf } from "./line-index";
import { SourceIndex } from "./source-index";
import { NO_PROJECT, SemanticModel, type ProjectView } from "./model";
import { apiUses, type ContextCall, type CreationSite, type StartMethodCall } from "./sites";
import { chainFile, findStarts, type ExternalStart, type Starts } from "./process-starts";
import { inProcessModules } from "./vocabulary";
import type { WordIndex } from "./words";

export type { ContextCall, CreationSite, StartMethodCall } from "./sites";

export interface ModuleFacts {
  text: string;
  tree: Tree;
  root: SyntaxNode;
  /** Finds nodes from the text, without walking the tree. */
  index: SourceIndex;
  /** Scopes, bindings, what names refer to, when code runs. */
  model: SemanticModel;
  lines: LineIndex;
  lineBreak: string;
  indentUnit: string;
  /** Top-level statements, comments left out. */
  statements: SyntaxNode[];
  /** The top-level statement a position falls in (from the statements' starts). */
  statementAt(position: number): SyntaxNode | null;
  /** Top-level `if __name__ == "__main__":` statements. */
  mainGuards: SyntaxNode[];
  sites: CreationSite[];
  startMethodCalls: StartMethodCall[];
  /** `get_context(...)` calls. */
  contextCalls: ContextCall[];
  /** Top-level statements that start processes when the module is imported, directly or through same-file functions. */
  startingStatements: Set<SyntaxNode>;
  /** Names of same-file functions (and methods, and Process subclasses) that start processes. */
  startingFunctions: Set<string>;
  /** Calls to functions of other project modules that start processes, with the chain that shows it. */
  externalStarts: Map<number, ExternalStart>;
  /** All of the above, and the calls of same-file starting functions. */
  starts: Starts;
  /** The files (as chains show them) where the project's functions that start processes make them. */
  projectStartFiles: Set<string>;
}

/** What the rest of the project tells about a module (src/project/project.ts). */
export interface ModuleContext extends ProjectView {
  /** Qualified names of project functions that start processes, each with its chain. */
  startingFunctions: Record<string, string[]>;
}

export const NO_CONTEXT: ModuleContext = { ...NO_PROJECT, startingFunctions: {} };

/** The facts of a module; the costly ones are computed when first read. */
class Module implements ModuleFacts {
  readonly root: SyntaxNode;
  readonly index: SourceIndex;
  readonly model: SemanticModel;
  readonly lineBreak: string;
  sites: CreationSite[] = [];
  startMethodCalls: StartMethodCall[] = [];
  contextCalls: ContextCall[] = [];
  startingStatements = new Set<SyntaxNode>();
  startingFunctions = new Set<string>();
  externalStarts = new Map<number, ExternalStart>();
  starts: Starts = { statements: new Set(), functions: new Set(), external: new Map(), calls: new Map(), inherited: new Map() };
  projectStartFiles = new Set<string>();
  private cachedLines: LineIndex | null = null;
  private cachedIndent: string | null = null;

  constructor(readonly text: string, readonly tree: Tree, context: ModuleContext, words?: WordIndex) {
    this.root = tree.rootNode;
    this.index = new SourceIndex(text, this.root, words);
    this.model = new SemanticModel(this.index, context);
    this.lineBreak = lineBreakOf(text);
  }

  get lines(): LineIndex {
    return (this.cachedLines ??= new LineIndex(this.text));
  }

  get statements(): SyntaxNode[] {
    return this.model.statements;
  }

  get mainGuards(): SyntaxNode[] {
    return this.model.mainGuards;
  }

  get indentUnit(): string {
    return (this.cachedIndent ??= indentUnitOfTree(this.root, this.lines));
  }

  statementAt(position: number): SyntaxNode | null {
    return this.model.statementAt(position);
  }
}

/** @param words the text's word index, when the caller has built it already. */
export function analyzeModule(text: string, tree: Tree = parsePython(text), context: ModuleContext = NO_CONTEXT, words?: WordIndex): ModuleFacts {
  const facts = new Module(text, tree, context, words);
  const uses = apiUses(facts.model, apiAliasNames(facts.model, context));
  facts.sites = uses.sites;
  facts.startMethodCalls = uses.startMethodCalls;
  facts.contextCalls = uses.contextCalls;
  const starts = findStarts(facts.model, facts.sites, context.startingFunctions);
  facts.starts = starts;
  facts.startingStatements = starts.statements;
  facts.startingFunctions = starts.functions;
  facts.externalStarts = starts.external;
  for (const chain of Object.values(context.startingFunctions)) {
    const file = chainFile(chain);
    if (file) facts.projectStartFiles.add(file);
  }
  return facts;
}

/** The names by which the project's re-exports of the API can be written (`mp` for `pkg.compat.mp` → multiprocessing). */
function apiAliasNames(model: SemanticModel, context: ModuleContext): string[] {
  const names: string[] = [];
  for (const key of Object.keys(context.aliases)) {
    if (inProcessModules(model.canonicalName(key))) names.push(key.slice(key.lastIndexOf(".") + 1));
  }
  return names;
}

/** The indent unit the module uses: from its first indented block, else from its text. */
function indentUnitOfTree(root: SyntaxNode, lines: LineIndex): string {
  let unit: string | null = null;
  const visit = (node: SyntaxNode, depth: number): void => {
    if (unit !== null || depth > 50) return;
    if (node.type === "block" && node.parent) {
      const start = nodeStart(node);
      if (lines.startsLine(start) && lines.startsLine(nodeStart(node.parent))) {
        const inner = lines.indentAt(start);
        const outer = lines.indentAt(nodeStart(node.parent));
        if (inner.startsWith(outer) && inner.length > outer.length) unit = inner.slice(outer.length);
        return;
      }
    }
    for (const child of node.namedChildren) visit(child, depth + 1);
  };
  visit(root, 0);
  return unit ?? indentUnitOf(lines.text);
}
