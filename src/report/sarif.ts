// SARIF 2.1.0, the format code-scanning services read.
import type { FileResult } from "../engine";
import type { Transform } from "../transform";
import type { EvidenceFinding } from "./evidence";

/** What SARIF says of a rule: static transforms and the runtime rules of verify alike. */
type RuleFacts = Pick<Transform, "code" | "name" | "summary" | "fix">;

const TOOL_URI = "https://www.npmjs.com/package/spawnsafe";

export function sarifReport<R extends RuleFacts>(results: FileResult[], rules: R[], docs: (t: R) => string, version: string): object {
  const ruleIndex = new Map(rules.map((r, i) => [r.code, i]));
  const sarifRules = rules.map((r) => ({
    id: r.code,
    name: r.name,
    shortDescription: { text: r.summary },
    fullDescription: { text: r.summary },
    help: { text: docs(r), markdown: docs(r) },
    defaultConfiguration: { level: "warning" },
    properties: { fixable: r.fix },
  }));
  const findings = results.flatMap((r) =>
    r.findings
      .filter((f) => !f.fixed)
      .map((f) => ({
        ruleId: f.code,
        ruleIndex: ruleIndex.get(f.code) ?? -1,
        level: "warning",
        message: { text: f.message },
        locations: [location(r.path, f.line, f.column, f.endLine, f.endColumn)],
        properties: { fixable: f.fixable },
        ...stacks(f),
      })),
  );
  const notifications = results
    .filter((r) => r.error)
    .map((r) => ({
      level: "error",
      message: { text: r.error!.message },
      locations: [location(r.path, r.error!.line, r.error!.column)],
    }));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "spawnsafe", version, informationUri: TOOL_URI, rules: sarifRules } },
        invocations: [{ executionSuccessful: notifications.length === 0, toolExecutionNotifications: notifications }],
        results: findings,
      },
    ],
  };
}

/** verify's findings carry the stack of the call they were seen at: SARIF's `stacks`. */
function stacks(f: EvidenceFinding): object {
  const stack = f.evidence?.stack;
  if (!stack || stack.length === 0) return {};
  const frames = [...stack].reverse().map((s) => ({ location: { ...location(s.file, s.line, 1), message: { text: s.func } } }));
  return { stacks: [{ message: { text: "most recent call first" }, frames }] };
}

function location(path: string, line: number, column: number, endLine?: number, endColumn?: number): object {
  const region: Record<string, number> = { startLine: line, startColumn: column };
  if (endLine !== undefined && endColumn !== undefined) Object.assign(region, { endLine, endColumn });
  return { physicalLocation: { artifactLocation: { uri: encodeURI(path) }, region } };
}
