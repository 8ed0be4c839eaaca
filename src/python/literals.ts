// Reading literal arguments of calls: which argument a keyword or position names, and the
// start method a string literal names.
import type { SyntaxNode } from "../parse";

/** A start method as written: a name, "default" for the global default context, null when not static. */
export type Method = "fork" | "spawn" | "forkserver" | "default" | null;

/**
 * The start method named by a call's first positional argument or keyword `keyword`:
 * the literal string, "default" when absent or None, null when not a plain literal.
 */
export function methodArgument(call: SyntaxNode, keyword: string, position = 0): Method {
  const arg = argument(call, keyword, position);
  if (!arg) return "default";
  return methodOfLiteral(arg);
}

export function methodOfLiteral(node: SyntaxNode): Method {
  if (node.type === "none") return "default";
  const value = stringLiteral(node);
  if (value === "fork" || value === "spawn" || value === "forkserver") return value;
  return null;
}

/** The argument passed as keyword `keyword` or at `position` among the positional ones. */
export function argument(call: SyntaxNode, keyword: string, position: number): SyntaxNode | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  let index = 0;
  for (const arg of args.namedChildren) {
    if (arg.type === "keyword_argument") {
      if (arg.childForFieldName("name")?.text === keyword) return arg.childForFieldName("value");
    } else if (arg.type === "list_splat" || arg.type === "dictionary_splat") {
      index = Number.POSITIVE_INFINITY;
    } else if (arg.type !== "comment") {
      if (index === position) return arg;
      index++;
    }
  }
  return null;
}

/** The value of a plain string literal (no f-string, no escapes, no concatenation), else null. */
export function stringLiteral(node: SyntaxNode): string | null {
  if (node.type !== "string") return null;
  const match = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(node.text);
  if (!match || match[3].includes("\\")) return null;
  return match[3];
}
