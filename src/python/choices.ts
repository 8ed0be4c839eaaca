// How a module chooses its start method, and what in it depends on the choice: facts the
// fixes that change the method stand on.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import type { StartMethodCall } from "./sites";
import { callsNamed } from "./index";
import { canonical } from "./vocabulary";
import { isMainGuard } from "./model";

export interface Choice {
  call: StartMethodCall;
  /**
   * Null when the call runs whenever the program does (a statement of the module or of its
   * main guard); else what it depends on: `if sys.platform == "darwin"`, `try ... except`,
   * `in function configure()`.
   */
  condition: string | null;
}

/** The module's set_start_method calls, each with the condition it runs under. */
export function startMethodChoices(module: ModuleFacts): Choice[] {
  return module.startMethodCalls.map((call) => ({ call, condition: conditionOf(module, call.node) }));
}

function conditionOf(module: ModuleFacts, call: SyntaxNode): string | null {
  const statement = module.index.parent(call);
  if (statement?.type !== "expression_statement") return "as part of an expression";
  for (let node = module.index.parent(statement); node; node = module.index.parent(node)) {
    switch (node.type) {
      case "module":
        return null;
      case "block": {
        const owner = module.index.parent(node);
        if (owner && owner.type === "if_statement" && isMainGuard(owner) && module.index.parent(owner)?.type === "module" && module.index.field(owner, "consequence")?.id === node.id) return null;
        break;
      }
      case "if_statement":
      case "elif_clause":
      case "else_clause": {
        const holder = node.type === "if_statement" ? node : module.index.parent(node);
        const condition = holder?.type === "if_statement" ? module.index.field(node.type === "elif_clause" ? node : holder, "condition") : null;
        return node.type === "else_clause" ? `in the \`else\` of \`if ${condition?.text ?? "..."}\`` : `if \`${condition?.text ?? "..."}\``;
      }
      case "try_statement":
        return "in a `try` whose `except` goes on without it (when the context is already set, it raises and is skipped)";
      case "function_definition":
        return `when \`${module.index.field(node, "name")?.text}()\` is called`;
      case "for_statement":
      case "while_statement":
      case "with_statement":
        break;
    }
  }
  return null;
}

/**
 * Code of the module whose behaviour depends on the default context, which per-site contexts
 * would leave behind: `multiprocessing.get_start_method()` (it still answers the default)
 * and `isinstance(p, multiprocessing.Process)` (a spawn context's Process is not one).
 */
export function contextDependence(module: ModuleFacts): SyntaxNode[] {
  return module.index.memo("contextDependence", () => {
    const found: SyntaxNode[] = [];
    for (const call of callsNamed(module.index, ["get_start_method", "isinstance", "issubclass"])) {
      const callee = module.model.valueOf(module.index.field(call, "function"));
      if (callee?.kind !== "qualified") continue;
      const qname = canonical(callee.qname);
      if (qname === "multiprocessing.get_start_method") found.push(call);
      else if (qname === "builtins.isinstance" || qname === "builtins.issubclass") {
        const args = call.childForFieldName("arguments")?.namedChildren ?? [];
        const classes = args[1] ? (args[1].type === "tuple" ? args[1].namedChildren : [args[1]]) : [];
        if (classes.some((c) => {
          const value = module.model.valueOf(c);
          return value?.kind === "qualified" && canonical(value.qname) === "multiprocessing.Process";
        })) found.push(call);
      }
    }
    return found;
  });
}
