// SPS205: expensive or side-effecting work at module level, which every spawned child re-runs.
import { defineTransform } from "../src/transform";
import { isMainGuard, type ModuleFacts } from "../src/python/module";
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
const CHEAP_NAMES = new Set(["load_dotenv", "load_ext", "train_test_split"]);

const SKIPPED = /^(function_definition|class_definition|decorated_definition|import_statement|import_from_statement|future_import_statement)$/;

export const moduleLevelWork = defineTransform({
  code: "SPS205",
  name: "module-level-work",
  summary: "Expensive or side-effecting work at module level runs again in every spawned child",
  fix: "never",
  check(context) {
    const { module } = context;
    // Only modules that start processes other than by fork: their children import them. A
    // program that starts them through another project module is the main module its
    // children re-import too.
    const startsHere = module.sites.some((s) => s.startsProcesses && s.method !== "fork");
    const programStartingElsewhere = context.decision.role === "app" && module.externalStarts.size > 0;
    if (!startsHere && !programStartingElsewhere) return;
    for (const statement of module.statements) {
      if (SKIPPED.test(statement.type) || isMainGuard(statement)) continue;
      // Processes started at top level are missing-main-guard's (SPS101).
      if (module.startingStatements.has(statement)) continue;
      const work = firstWork(module, statement);
      if (!work) continue;
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

/** The first piece of work a top-level statement does when the module is imported. */
function firstWork(module: ModuleFacts, statement: SyntaxNode): Work | null {
  if (statement.type === "while_statement") return { node: statement, label: "A `while` loop" };
  let found: Work | null = null;
  const visit = (node: SyntaxNode): void => {
    if (found || /^(function_definition|class_definition|lambda)$/.test(node.type)) return;
    if (node.type === "call") {
      const label = workCall(module, node);
      if (label) {
        found = { node, label: `\`${label}(...)\`` };
        return;
      }
    }
    for (const child of node.namedChildren) visit(child);
  };
  visit(statement);
  return found;
}

/** The name to show for a call that does work, or null. */
function workCall(module: ModuleFacts, call: SyntaxNode): string | null {
  const callee = call.childForFieldName("function");
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
