// The environment as state the parent changes: `os.environ["K"] = v` before a start. A forked
// child and a spawned one both get the environment as it is at start() (spawn's fork_exec
// passes the process's own), so a spawned child's os.environ holds the change as a forked
// child's does. Not under forkserver: its children come from a server started at the first
// start, which keeps the environment of that moment. And a spawned child reads the new value
// where a forked one had the old: in code that ran at import (`MODE = os.environ["K"]`),
// which the child runs again; in the interpreter's own start-up (PYTHON*, the locale); in the
// standard library's lazy caches (TMPDIR, HOME); in a third-party or project module's import.
// So the change is harmless only when none of those can read it; when one may, what it made
// from the value may be anywhere.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";

/** What `os.environ` changes: the keys, or null when they cannot be told (`clear()`, a computed key). */
export interface EnvironChange {
  keys: string[] | null;
}

const MUTATING = new Set(["update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"]);

/** Read by the interpreter at start-up or cached by the standard library: not the program's own key. */
const INTERPRETER_KEYS = /^(PYTHON.*|LC_.*|LANG|LANGUAGE|TZ|TMPDIR|TEMP|TMP|HOME|PATH|PATHEXT|COLUMNS|LINES|TERM|NO_COLOR|FORCE_COLOR|USER|LOGNAME|USERNAME|SHELL|.*_PROXY|.*_proxy|SSL_.*)$/;

/** Modules of the standard library that read no environment variable of the program's at import. */
export const STDLIB = new Set([
  "__future__", "abc", "argparse", "array", "base64", "bisect", "collections", "concurrent", "contextlib", "copy", "csv",
  "dataclasses", "datetime", "decimal", "enum", "fractions", "functools", "glob", "hashlib", "heapq", "io", "itertools",
  "json", "logging", "math", "multiprocessing", "operator", "os", "pathlib", "pickle", "queue", "random", "re", "shutil",
  "signal", "socket", "statistics", "string", "struct", "subprocess", "sys", "tempfile", "textwrap", "threading", "time",
  "traceback", "types", "typing", "uuid", "warnings", "weakref",
]);

/** The change a statement or call makes to os.environ, or null when it makes none. */
export function environChange(module: ModuleFacts, node: SyntaxNode): EnvironChange | null {
  const isEnviron = (expr: SyntaxNode | null) => !!expr && module.model.qualifiedName(expr) === "os.environ";
  if (node.type === "assignment" || node.type === "augmented_assignment" || node.type === "delete_statement") {
    const targets = node.type === "delete_statement" ? node.namedChildren : [node.childForFieldName("left")];
    for (const target of targets) {
      if (target?.type !== "subscript" || !isEnviron(target.childForFieldName("value"))) continue;
      const key = literalKey(target.childForFieldName("subscript"));
      return { keys: key === null ? null : [key] };
    }
    return null;
  }
  if (node.type !== "call") return null;
  const callee = node.childForFieldName("function");
  const method = callee?.type === "attribute" ? callee.childForFieldName("attribute")?.text ?? "" : "";
  if (!callee || !MUTATING.has(method) || !isEnviron(callee.childForFieldName("object"))) return null;
  const args = (node.childForFieldName("arguments")?.namedChildren ?? []).filter((a) => a.type !== "comment");
  if (method === "clear" || method === "popitem" || args.length === 0) return { keys: null };
  if (method !== "update") {
    const key = literalKey(args[0]);
    return { keys: key === null ? null : [key] };
  }
  // `update(K=v)`, `update({"K": v})`.
  const keys: string[] = [];
  for (const arg of args) {
    if (arg.type === "keyword_argument") keys.push(arg.childForFieldName("name")?.text ?? "");
    else if (arg.type === "dictionary") {
      for (const pair of arg.namedChildren) {
        const key = pair.type === "pair" ? literalKey(pair.childForFieldName("key")) : null;
        if (key === null) return { keys: null };
        keys.push(key);
      }
    } else return { keys: null };
  }
  return { keys };
}

function literalKey(expr: SyntaxNode | null): string | null {
  const m = expr?.type === "string" ? /^["']([A-Za-z_][A-Za-z0-9_]*)["']$/.exec(expr.text) : null;
  return m ? m[1] : null;
}

/**
 * What the change makes a child see otherwise than a forked one: "none"; "os" (under
 * forkserver the children's os.environ may miss it); or "*" when something may have read the
 * environment at import (a key the interpreter or the standard library reads, a key not
 * known, a module that is not the standard library's, this module's own import-time code, or
 * a program not known: a library's): what it made from it may differ in any state.
 * `importTime` is the code the module runs at import (src/python/state.ts works it out).
 */
export function environEffect(module: ModuleFacts, change: EnvironChange, method: "spawn" | "forkserver", isProgram: boolean, importTime: () => SyntaxNode[]): "none" | "os" | "*" {
  const readAtImport = !isProgram || !change.keys || change.keys.some((k) => INTERPRETER_KEYS.test(k)) || environReadAtImport(module, importTime);
  if (readAtImport) return "*";
  return method === "spawn" ? "none" : "os";
}

/** The module imports a module that is not the standard library's, or its import-time code reads the environment. */
function environReadAtImport(module: ModuleFacts, importTime: () => SyntaxNode[]): boolean {
  return module.index.memo("environReadAtImport", () => {
    for (const statement of module.root.descendantsOfType(["import_statement", "import_from_statement"])) {
      const names = statement.type === "import_statement"
        ? statement.namedChildren.map((n) => (n.type === "aliased_import" ? n.childForFieldName("name") : n))
        : [statement.childForFieldName("module_name")];
      if (names.some((n) => !n || n.text.startsWith(".") || !STDLIB.has(n.text.split(".")[0]))) return true;
    }
    return importTime().some((code) => /\b(environb?|getenvb?|putenv|unsetenv)\b/.test(code.text));
  });
}
