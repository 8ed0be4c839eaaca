// Waits with a short timeout: where the program's outcome depends on how fast its workers start.
// A forked worker runs at once; a spawned one is a fresh interpreter that imports the program's
// modules first (0.05 s alone, over 1 s with numpy on a loaded 2-core machine: FACTS.md). A job
// that finished within a 1 s deadline under fork may miss it under spawn.
import type { SyntaxNode } from "../parse";
import type { ModuleFacts } from "./module";
import { callsNamed } from "./source-index";
import { argument } from "./literals";

/** A timeout at least this long (seconds) is a guard against a hang, not a deadline start-up can miss. */
const HANG_GUARD = 10;

/**
 * The first wait on processes, pools or their results whose timeout start-up may exceed:
 * `wait(fs, timeout=0.2)`, `f.result(1)`, `r.get(timeout=2)`, `p.join(0.5)`,
 * `as_completed(fs, timeout=t)` (a timeout not known is short), or null.
 */
export function shortWait(module: ModuleFacts, childCode: SyntaxNode[]): SyntaxNode | null {
  // The children's own waits (a request's timeout, a poll of their queue) start after they do.
  const child = new Set(childCode.map((fn) => fn.id));
  const inChild = (call: SyntaxNode) => {
    for (let up = module.index.parent(call); up; up = module.index.parent(up)) if (child.has(up.id)) return true;
    return false;
  };
  return shortWaits(module).find((call) => !inChild(call)) ?? null;
}

/** The module's waits whose timeout start-up may exceed, wherever they are: worked out once per module. */
function shortWaits(module: ModuleFacts): SyntaxNode[] {
  return module.index.memo("shortWaits", () => {
    const found: SyntaxNode[] = [];
    for (const call of callsNamed(module.index, ["wait", "result", "get", "join", "as_completed", "exception", "poll"])) {
      const callee = module.index.field(call, "function");
      const name = callee?.type === "attribute" ? module.index.field(callee, "attribute")?.text : callee?.text;
      // Positional timeouts where the name's other uses cannot take a number there (`d.get(k, 0.5)` can).
      const position = name === "wait" || name === "as_completed" ? 1 : name === "get" ? -1 : 0;
      const timeout = argument(call, "timeout", position < 0 ? Number.POSITIVE_INFINITY : position);
      if (!timeout || timeout.type === "none") continue;
      // `",".join(parts)`, `os.path.join(a, b)`: a first positional argument that is no number is no timeout.
      const keyword = timeout.parent?.type === "keyword_argument";
      if (!keyword && position === 0 && !/^(integer|float)$/.test(timeout.type)) continue;
      const seconds = secondsOf(module, timeout);
      if (seconds !== null && seconds >= HANG_GUARD) continue;
      // `requests.get(url, timeout=5)`: a library's wait, not one on processes.
      const owner = module.model.valueOf(callee);
      if (owner?.kind === "qualified" && !/^(multiprocessing|concurrent)\./.test(owner.qname)) continue;
      found.push(call);
    }
    return found;
  });
}

/** A timeout's value in seconds: a number, or a module-level name bound once to one. */
function secondsOf(module: ModuleFacts, node: SyntaxNode): number | null {
  if (node.type === "integer" || node.type === "float") return Number(node.text.replace(/_/g, ""));
  if (node.type !== "identifier") return null;
  const bindings = module.model.bindingsReaching(node);
  if (bindings.length !== 1 || bindings[0].scope.kind !== "module" || bindings[0].kind !== "assignment") return null;
  const value = bindings[0].value;
  return value && (value.type === "integer" || value.type === "float") && module.model.bindingsOf(node.text).length === 1 ? Number(value.text.replace(/_/g, "")) : null;
}
