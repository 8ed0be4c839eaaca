// SPS205: expensive or side-effecting work at module level, which every spawned child re-runs.
import { defineTransform } from "../src/transform";
import { callsNamed, isMainGuard, type ModuleFacts } from "../src/python/module";
import type { SyntaxNode } from "../src/parse";

/** Calls that open files, connect, sleep or run programs, by qualified name. */
const WORK_CALLS = new Set([
  "socket.socket", "socket.create_connection",
  "requests.get", "requests.post",
  "urllib.request.urlopen",
  "sqlite3.connect", "psycopg2.connect", "pymysql.connect", "redis.Redis", "redis.StrictRedis",
  "time.sleep",
  "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen",
  "os.system",
  "numpy.load", "numpy.loadtxt", "torch.load", "joblib.load", "pickle.load",
]);
/** pandas.read_csv, pandas.read_parquet, ... */
const WORK_PREFIXES = ["pandas.read_"];
/** Calls named like the work they do; kept narrow, with the common cheap ones left out. */
const WORK_NAME = /^(load_\w+|train\w*|download\w*)$/;
/** What names of work (WORK_NAME, pandas' read_*) begin with. */
const WORK_NAME_PREFIXES = ["load_", "train", "download", "read_"];
const CHEAP_NAMES = new Set(["load_dotenv", "load_ext", "train_test_split"]);

/** The names work calls are written with: the last part of each qualified name, and `open`. */
const WORK_WORDS = ["open", ...[...WORK_CALLS, ...WORK_PREFIXES].map((q) => q.slice(q.lastIndexOf(".") + 1)).filter(Boolean)];

const SKIPPED = /^(function_definition|class_definition|decorated_definition|import_statement|import_from_statement|future_import_statement)$/;

export const moduleLevelWork = defineTransform({
  code: "SPS205",
  name: "module-level-work",
  summary: "Expensive or side-effecting work at module level runs again in every spawned child",
  fix: "never",
  words: WORK_WORDS,
  check(context) {
    const { module } = context;
    // Only modules that start processes other than by fork: their children import them.
    if (!module.sites.some((s) => s.startsProcesses && s.method !== "fork")) return;
    const found = new Map<number, Work>();
    for (const work of [...topLevelLoops(module), ...workCalls(module)]) {
      const statement = module.index.topLevelStatementOf(work.node);
      if (!statement || found.has(statement.id)) continue;
      if (SKIPPED.test(statement.type) || isMainGuard(statement)) continue;
      // Processes started at top level are missing-main-guard's (SPS101).
      if ([...module.startingStatements].some((s) => s.id === statement.id)) continue;
      found.set(statement.id, work);
    }
    for (const work of [...found.values()].sort((a, b) => a.node.startIndex - b.node.startIndex)) {
      context.report({
        node: work.node,
        message: `${work.label} at module level runs again in every spawned child that imports this module; move it into a function or under \`if __name__ == "__main__":\``,
        fix: null,
      });
    }
  },
});

interface Work {
  node: SyntaxNode;
  label: string;
}

/** `while` loops that are statements of the module. */
function topLevelLoops(module: ModuleFacts): Work[] {
  return module.index
    .lineStartsWith("while")
    .map((at) => module.root.descendantForIndex(at, at + "while".length))
    .filter((keyword) => keyword.type === "while")
    .map((keyword) => module.index.parent(keyword))
    .filter((loop): loop is SyntaxNode => loop?.type === "while_statement" && module.index.parent(loop)?.type === "module")
    .map((loop) => ({ node: loop, label: "A `while` loop" }));
}

/** Calls that do work and run when the module is imported, in source order. */
function workCalls(module: ModuleFacts): Work[] {
  const { index } = module;
  const written = new Set([...WORK_WORDS, ...WORK_NAME_PREFIXES.flatMap((p) => index.wordsStartingWith(p))]);
  const works: Work[] = [];
  for (const call of callsNamed(index, [...written])) {
    if (runsLater(module, call)) continue;
    const label = workCall(module, call);
    if (label) works.push({ node: call, label: `\`${label}(...)\`` });
  }
  return works;
}

/** Inside a function, class or lambda: not run when the module is imported. */
function runsLater(module: ModuleFacts, node: SyntaxNode): boolean {
  for (const n of module.index.ancestors(node)) if (/^(function_definition|class_definition|lambda)$/.test(n.type)) return true;
  return false;
}

/** The name to show for a call that does work, or null. */
function workCall(module: ModuleFacts, call: SyntaxNode): string | null {
  const callee = module.index.field(call, "function");
  if (!callee) return null;
  if (callee.type === "identifier" && callee.text === "open" && !module.names.isModuleName("open")) return "open";
  const value = module.names.resolve(callee);
  if (value?.kind === "qualified" && (WORK_CALLS.has(value.qname) || WORK_PREFIXES.some((p) => value.qname.startsWith(p)))) {
    return callee.text;
  }
  const name = callee.type === "identifier" ? callee.text : callee.type === "attribute" ? callee.childForFieldName("attribute")?.text : null;
  if (name && WORK_NAME.test(name) && !CHEAP_NAMES.has(name)) return callee.text;
  return null;
}
