// SPS205: expensive or side-effecting work at module level, which every spawned child re-runs.
import { defineTransform, type CheckContext } from "../src/transform";
import { isNeverImported } from "../src/file-info";
import { insert, replace, type Edit } from "../src/fix/edits";
import { codeLineStarts, isDocstring, multilineStrings } from "../src/fix/python";
import type { ModuleFacts } from "../src/python/module";
import { callsNamed } from "../src/python/source-index";
import { isMainGuard } from "../src/python/model";
import { outlineOf, statementStartingAt } from "../src/python/outline";
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
  fix: "sometimes",
  unit: "guard",
  check(context) {
    const { module } = context;
    // Spawned children never run a notebook or a __main__.py (they skip a `__main__` module).
    if (isNeverImported(context.file)) return;
    // Only modules that start processes other than by fork: their children import them. A
    // program that starts them through another project module is the main module its
    // children re-import too.
    const startsHere = module.sites.some((s) => s.startsProcesses && s.method !== "fork");
    const programStartingElsewhere = context.decision.role === "app" && module.externalStarts.size > 0;
    if (!startsHere && !programStartingElsewhere) return;
    // A program's own module is imported by its spawned children as `__mp_main__`: there a
    // statement that binds nothing can be kept out of them alone, as fork kept it.
    const program = context.decision.role === "app";
    if (program) for (const guard of module.mainGuards) reportElseBranch(context, guard);
    // Processes started at top level are missing-main-guard's (SPS101), which also moves
    // the prints above them.
    const starting = new Set([...module.startingStatements].map((s) => s.id));
    const found = new Map<number, { statement: SyntaxNode; work: Work }>();
    const candidates = [...topLevelLoops(module), ...workCalls(module), ...(program && starting.size === 0 ? topLevelPrints(module) : [])];
    for (const work of candidates) {
      const statement = module.index.topLevelStatementOf(work.node);
      if (!statement || found.has(statement.id) || starting.has(statement.id)) continue;
      if (SKIPPED.test(statement.type) || isNotChildGuard(statement) || isMainGuard(statement)) continue;
      found.set(statement.id, { statement, work });
    }
    for (const { statement, work } of [...found.values()].sort((a, b) => a.statement.startIndex - b.statement.startIndex)) {
      const fix = program ? keepOutOfChildren(module, statement) : null;
      // A print only shows; other work may set up what the children need (fork children had it).
      const safe = isPrintStatement(statement);
      context.report({
        node: work.node,
        message: fix
          ? `${work.label} at module level runs again in every spawned child, which imports the program as \`__mp_main__\`; run it only outside those children: \`if __name__ != "__mp_main__":\`${safe ? "" : "; unsafe fix (applied with --unsafe-fixes): the children may need what it sets up"}`
          : `${work.label} at module level runs again in every spawned child that imports this module; move it into a function or under \`if __name__ == "__main__":\``,
        fix,
        applicability: safe ? "safe" : "unsafe",
      });
    }
  },
});

const NOT_CHILD = 'if __name__ != "__mp_main__":';

/** `if __name__ != "__mp_main__":`, either way round, either quotes: code spawned children skip. */
function isNotChildGuard(node: SyntaxNode): boolean {
  if (node.type !== "if_statement" || node.childForFieldName("alternative")) return false;
  const condition = node.childForFieldName("condition");
  return !!condition && isNotChildComparison(condition);
}

function isNotChildComparison(condition: SyntaxNode): boolean {
  return comparesNameWithChild(condition, "!=");
}

/** `__name__ == "__mp_main__"`, either way round, either quotes: true in spawned children only. */
function isChildComparison(condition: SyntaxNode | null): boolean {
  return !!condition && comparesNameWithChild(condition, "==");
}

function comparesNameWithChild(condition: SyntaxNode, operator: "==" | "!="): boolean {
  if (condition?.type !== "comparison_operator" || !condition.children.some((c) => c.type === operator)) return false;
  const texts = condition.namedChildren.map((o) => o.text);
  const isChildName = (t: string) => t === '"__mp_main__"' || t === "'__mp_main__'";
  return texts.length === 2 && ((texts[0] === "__name__" && isChildName(texts[1])) || (isChildName(texts[0]) && texts[1] === "__name__"));
}

/** `print(...)` calls that are statements of the module by themselves. */
function topLevelPrints(module: ModuleFacts): Work[] {
  const { index } = module;
  return callsNamed(index, ["print"])
    .filter((call) => {
      const statement = index.parent(call);
      return statement?.type === "expression_statement" && statement.namedChildCount === 1 && index.parent(statement)?.type === "module";
    })
    .filter((call) => index.field(call, "function")?.text === "print")
    .map((call) => ({ node: call, label: "`print(...)`" }));
}

/**
 * `if __name__ != "__mp_main__":` around an expression statement that binds nothing, on
 * lines of its own: the parent and every importer still run it, spawned children do not.
 */
function keepOutOfChildren(module: ModuleFacts, statement: SyntaxNode): Edit[] | null {
  if (statement.type !== "expression_statement") return null;
  // `x = open(...)` binds a name that workers may read: under fork they inherited it.
  if (statement.namedChildren.some((n) => /assignment$/.test(n.type)) || statement.descendantsOfType("named_expression").length > 0) return null;
  const { lines, text } = module;
  if (!lines.startsLine(statement.startIndex)) return null;
  const end = lines.lineEnd(statement.endIndex);
  if (!/^[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?$/.test(text.slice(statement.endIndex, end))) return null;
  const start = lines.lineStart(statement.startIndex);
  const strings = multilineStrings(module, [statement]);
  return [
    insert(start, NOT_CHILD + module.lineBreak),
    ...codeLineStarts(module, start, end, strings).map((at) => insert(at, module.indentUnit)),
  ];
}

/**
 * The `elif` and `else` branches of a program's main guard run in every spawned child, which
 * imports the program as `__mp_main__` (an `elif` whenever its condition holds there). The
 * fix keeps them for real imports: `elif X:` becomes `elif __name__ != "__mp_main__" and (X):`,
 * `else:` becomes `elif __name__ != "__mp_main__":`. A branch that binds a name is left
 * alone: that is the path spawned children take, and what it binds is what they read.
 */
function reportElseBranch(context: CheckContext, guard: SyntaxNode): void {
  for (const clause of guard.childrenForFieldName("alternative")) {
    // `elif __name__ == "__mp_main__":` is where spawned children go, on purpose: neither it
    // nor any branch after it runs in them.
    if (clause.type === "elif_clause" && isChildComparison(clause.childForFieldName("condition"))) return;
    const body = clause.childForFieldName(clause.type === "else_clause" ? "body" : "consequence");
    const statements = body ? body.namedChildren.filter((n) => n.type !== "comment") : [];
    if (statements.every((n) => n.type === "pass_statement" || isDocstring(n))) continue;
    if (statements.some((n) => bindsNames(n))) continue;
    const keyword = clause.children[0];
    // Prints only show; a call may set up what the children need (fork children had it).
    const onlyPrints = statements.every((n) => isPrintStatement(n));
    const unsafe = onlyPrints ? "" : "; unsafe fix (applied with --unsafe-fixes): the branch calls code that may set up what the children need";
    if (clause.type === "else_clause" && keyword?.type === "else") {
      context.report({
        node: keyword,
        message: `The \`else:\` branch of the main guard runs in every spawned child, which imports the program as \`__mp_main__\`; make it \`elif __name__ != "__mp_main__":\` to keep it for real imports${unsafe}`,
        fix: [replace(keyword.startIndex, keyword.endIndex, `elif __name__ != "__mp_main__"`)],
        applicability: onlyPrints ? "safe" : "unsafe",
      });
    } else if (clause.type === "elif_clause") {
      const condition = clause.childForFieldName("condition");
      if (!condition || keepsChildrenOut(condition)) continue;
      context.report({
        node: keyword ?? clause,
        message: `The \`elif\` branch of the main guard runs in a spawned child (which imports the program as \`__mp_main__\`) whenever \`${condition.text.replace(/\s+/g, " ")}\` holds there; add \`__name__ != "__mp_main__" and\` to keep it for real imports${unsafe}`,
        fix: [insert(condition.startIndex, `__name__ != "__mp_main__" and (`), insert(condition.endIndex, ")")],
        applicability: onlyPrints ? "safe" : "unsafe",
      });
    }
  }
}

/** `__name__ != "__mp_main__"`, or `__name__ != "__mp_main__" and (...)`: a condition spawned children already fail. */
function keepsChildrenOut(condition: SyntaxNode): boolean {
  if (isNotChildComparison(condition)) return true;
  if (condition.type !== "boolean_operator" || !condition.children.some((c) => c.type === "and")) return false;
  const left = condition.childForFieldName("left");
  return !!left && isNotChildComparison(left);
}

interface Work {
  node: SyntaxNode;
  label: string;
}

/** `while` loops that are statements of the module. */
function topLevelLoops(module: ModuleFacts): Work[] {
  // From the module's outline: a node object for each of a large module's statements costs more than its parse.
  return outlineOf(module.index).loops.map((at) => ({ node: statementStartingAt(module.index, at), label: "A `while` loop" }));
}

/** Calls that do work and run when the module is imported, in source order. */
function workCalls(module: ModuleFacts): Work[] {
  const { index } = module;
  const written = new Set([...WORK_WORDS, ...WORK_NAME_PREFIXES.flatMap((p) => index.wordsStartingWith(p))]);
  const works: Work[] = [];
  for (const call of callsNamed(index, written)) {
    if (module.model.runsAt(call) !== "import") continue;
    const label = workCall(module, call);
    if (label) works.push({ node: call, label: `\`${label}(...)\`` });
  }
  return works;
}

/** The name to show for a call that does work, or null. */
function workCall(module: ModuleFacts, call: SyntaxNode): string | null {
  const callee = call.childForFieldName("function");
  if (!callee) return null;
  if (callee.type === "identifier" && callee.text === "open" && !module.model.isModuleName("open")) return "open";
  const value = module.model.valueOf(callee);
  if (value?.kind === "qualified" && (WORK_CALLS.has(value.qname) || WORK_PREFIXES.some((p) => value.qname.startsWith(p)))) {
    return callee.text;
  }
  const name = callee.type === "identifier" ? callee.text : callee.type === "attribute" ? callee.childForFieldName("attribute")?.text : null;
  if (name && WORK_NAME.test(name) && !CHEAP_NAMES.has(name)) return callee.text;
  return null;
}

/** Whether a statement binds a name (an assignment, import, definition, `for`, `with ... as`) anywhere in it, functions aside. */
function bindsNames(statement: SyntaxNode): boolean {
  if (/^(function_definition|class_definition|decorated_definition|import_statement|import_from_statement)$/.test(statement.type)) return true;
  return statement.descendantsOfType(["assignment", "augmented_assignment", "named_expression", "for_statement", "as_pattern", "import_statement", "import_from_statement", "function_definition", "class_definition"]).length > 0;
}

/** `print(...)` or `time.sleep(...)` as a statement by itself: it shows or waits, and sets up nothing the children need. */
function isPrintStatement(statement: SyntaxNode): boolean {
  const call = statement.type === "expression_statement" && statement.namedChildCount === 1 ? statement.namedChildren[0] : null;
  const callee = call?.type === "call" ? call.childForFieldName("function")?.text : null;
  return callee === "print" || callee === "time.sleep";
}
