// How a top-level statement ends up starting processes in another file of the project:
// `main.py:12 → jobs.run_all → pool.py:8 multiprocessing.Pool`.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";

const DEFERRED = new Set(["function_definition", "class_definition", "decorated_definition", "lambda"]);

/**
 * The chain from `statement` to the creation site it reaches through a project function of
 * another module, or null when it starts processes in this file only (or not at all).
 */
export function crossFileChain(module: ModuleFacts, statement: SyntaxNode, shownPath: string): string | null {
  const hops = hopsFrom(module, statement, new Set());
  if (!hops || !hops.external) return null;
  return [`${shownPath}:${module.lines.position(hops.at.startIndex).line}`, ...hops.names].join(" → ");
}

interface Hops {
  /** The call in the searched code where the chain starts. */
  at: SyntaxNode;
  names: string[];
  /** It goes through another module. */
  external: boolean;
}

/** The first process start under `node` (definitions skipped): a creation site, a project call, or a same-file function. */
function hopsFrom(module: ModuleFacts, node: SyntaxNode, visiting: Set<string>): Hops | null {
  for (const child of node.namedChildren) {
    if (DEFERRED.has(child.type)) continue;
    const external = module.externalStarts.get(child.id);
    if (external) return { at: child, names: external.chain, external: true };
    const site = module.sites.find((s) => s.startsProcesses && s.node.id === child.id);
    if (site) return { at: child, names: [], external: false };
    const name = child.type === "call" ? calledName(child) : null;
    if (name && module.startingFunctions.has(name) && !visiting.has(name)) {
      visiting.add(name);
      for (const def of definitions(module.root, name)) {
        const inner = hopsFrom(module, def.childForFieldName("body")!, visiting);
        if (inner) return { at: child, names: [name, ...inner.names], external: inner.external };
      }
    }
    const deeper = hopsFrom(module, child, visiting);
    if (deeper) return deeper;
  }
  return null;
}

function calledName(call: SyntaxNode): string | null {
  const callee = call.childForFieldName("function");
  if (callee?.type === "identifier") return callee.text;
  if (callee?.type === "attribute") return callee.childForFieldName("attribute")?.text ?? null;
  return null;
}

function definitions(root: SyntaxNode, name: string): SyntaxNode[] {
  return root.descendantsOfType("function_definition").filter((d) => d.childForFieldName("name")?.text === name && d.childForFieldName("body"));
}
