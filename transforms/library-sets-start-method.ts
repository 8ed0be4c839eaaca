// SPS107: library code calls set_start_method, for every program that imports it.
import { defineTransform } from "../src/transform";
import { entryFunctionNames } from "../src/file-info";
import type { StartMethod } from "../src/options";
import { inFunctionNamed } from "../src/python/scopes";
import type { ModuleFacts, StartMethodCall } from "../src/python/module";
import { isMainGuard } from "../src/python/model";
import { blockStatements } from "../src/fix/python";
import { replace, type Edit } from "../src/fix/edits";
import type { SyntaxNode } from "../src/parse";
import { explicitContextFix } from "../src/fix/context";
import { startMethodChoices } from "../src/python/choices";
import { UNSAFE } from "../src/fix/units";

/**
 * Functions that are a program's entry point: the program's choice, not a library's. The
 * packaging metadata names them (src/project/entrypoints.ts); without it, these usual names.
 */
const ENTRY_POINTS = new Set(["main", "_main", "cli"]);

export const librarySetsStartMethod = defineTransform({
  code: "SPS107",
  name: "library-sets-start-method",
  summary: "Library code calls `set_start_method`, changing the start method of every program that imports it",
  fix: "sometimes",
  speaksOfStartMethodCall: true,
  unit: "switch",
  programWide: true,
  check(context) {
    const { module, decision } = context;
    if (decision.role !== "library") return;
    const entryPoints = new Set([...ENTRY_POINTS, ...entryFunctionNames(context.file)]);
    const calls = module.startMethodCalls.filter((c) => !inProgramCode(c.node, entryPoints));
    if (calls.length === 0) return;
    const fix = removalFix(module, calls);
    // The call sets the method of every process the program makes after it, in any module: without
    // it, processes the project makes elsewhere go back to the default (fork on Linux before 3.14).
    const elsewhere = [...module.projectStartFiles].find((f) => f !== context.file.path);
    const unsafe = elsewhere ? `${UNSAFE}removing it also moves the processes made in ${elsewhere} back to the default start method, and their switch is not part of this file's` : "";
    const conditions = new Map(startMethodChoices(module).map((c) => [c.call.node.id, c.condition]));
    for (const call of calls) {
      // A fork choice is explicit-fork's (SPS105) to report: one finding for one call.
      if (call.method === "fork") continue;
      const named = call.method && call.method !== "default" ? `"${call.method}"` : "...";
      // A choice made on some paths only leaves the others on the default: say which.
      const condition = conditions.get(call.node.id);
      const only = condition ? ` It runs only ${condition}: on every other path the default start method stays (forkserver on Linux from Python 3.14).` : "";
      context.report({
        node: call.node,
        message: `A library that calls \`set_start_method(${named})\` sets the start method of every program that imports it, whose own call then raises "context has already been set"; give the library's own processes an explicit context instead.${only}`.replace(/\.$/, fix && unsafe ? unsafe : "."),
        fix,
        applicability: unsafe ? "unsafe" : "safe",
      });
    }
  },
});

/** Under a main guard or in an entry-point function the call runs only when this module is the program. */
function inProgramCode(node: SyntaxNode, entryPoints: Set<string>): boolean {
  for (let n = node.parent; n; n = n.parent) if (isMainGuard(n)) return true;
  return inFunctionNamed(node, entryPoints);
}

/**
 * One fix for all the calls of the file, or null: every call removed, and every creation site
 * of the default context given the method the library chose. Refused (reported only) when:
 */
function removalFix(module: ModuleFacts, calls: StartMethodCall[]): Edit[] | null {
  const methods = new Set(calls.map((c) => c.method));
  const method = [...methods][0];
  // - the calls disagree, name no static method, or name fork (the user's decision, kept);
  if (methods.size !== 1 || (method !== "spawn" && method !== "forkserver")) return null;
  const edits: Edit[] = [];
  for (const call of calls) {
    const removal = removeCall(module, call.node);
    // - a call is part of a larger statement (`ok = ...`, `a(); b()`), whose removal is not ours to decide;
    if (!removal) return null;
    edits.push(removal);
  }
  const contexts = explicitContexts(module, method);
  // - a creation site cannot be given an explicit context: without the call it would change method.
  if (!contexts) return null;
  return [...edits, ...contexts];
}

/** Deletes the call's statement (its whole line), or makes it `pass` when a block holds nothing else. */
function removeCall(module: ModuleFacts, call: SyntaxNode): Edit | null {
  const statement = call.parent;
  if (!statement || statement.type !== "expression_statement" || statement.namedChildCount !== 1) return null;
  const parent = statement.parent;
  if (!parent) return null;
  const siblings = parent.type === "block" ? blockStatements(parent) : parent.namedChildren.filter((n) => n.type !== "comment");
  if (parent.type === "block" && siblings.length === 1) return replace(statement.startIndex, statement.endIndex, "pass");
  const { lines, text } = module;
  if (!lines.startsLine(statement.startIndex)) return null;
  const end = lines.lineEnd(statement.endIndex);
  if (!/^[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?$/.test(text.slice(statement.endIndex, end))) return null;
  const start = lines.lineStart(statement.startIndex);
  // Between two blank lines, one of them goes too: no gap grows where the call was.
  const blank = /^[ \t\f]*(\r\n|\r|\n)/;
  const before = start > 0 ? text.slice(lines.lineStart(start - 1), start) : "";
  const after = blank.exec(text.slice(end));
  return replace(start, blank.test(before) && after ? end + after[0].length : end, "");
}

/** Edits giving every default-context site (and `get_context()`) the method, or null when one cannot be. */
function explicitContexts(module: ModuleFacts, method: StartMethod): Edit[] | null {
  const edits: Edit[] = [];
  for (const site of module.sites) {
    // `ctx.Pool()` follows its context: `get_context()` below.
    if (site.method !== "default" || site.via.form === "context") continue;
    const fix = explicitContextFix(module, site, method);
    if (!fix) return null;
    edits.push(...fix);
  }
  for (const call of module.contextCalls) {
    if (call.method !== "default") continue;
    const args = call.node.childForFieldName("arguments");
    if (!args || args.namedChildCount !== 0) return null;
    edits.push(replace(args.startIndex, args.endIndex, `("${method}")`));
  }
  return edits;
}
