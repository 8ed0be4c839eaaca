// SARIF 2.1.0, the format code-scanning services read.
import type { FileResult } from "../engine";
import type { Transform } from "../transform";
import type { RefusedReport } from "./json";
import type { EvidenceFinding } from "./evidence";
import { docsUrl } from "./docs";

/** What SARIF says of a rule: static transforms and the runtime rules of verify alike. */
type RuleFacts = Pick<Transform, "code" | "name" | "summary" | "fix">;

const TOOL_URI = "https://www.npmjs.com/package/spawnsafe";

export function sarifReport<R extends RuleFacts>(results: FileResult[], rules: R[], docs: (t: R) => string, version: string, refused: RefusedReport | null = null): object {
  const ruleIndex = new Map(rules.map((r, i) => [r.code, i]));
  const sarifRules = rules.map((r) => ({
    id: r.code,
    name: r.name,
    shortDescription: { text: r.summary },
    fullDescription: { text: r.summary },
    help: { text: docs(r), markdown: docs(r) },
    helpUri: docsUrl(r.name, version),
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
        properties: { fixable: f.fixable, applicability: f.applicability, ...(f.cell ? { cell: f.cell } : {}) },
        ...stacks(f),
      })),
  );
  const notifications = [
    ...(refused ? [{ level: "error", message: { text: refused.reason } }] : []),
    ...results
      .filter((r) => r.error)
      .map((r) => ({
        level: "error",
        message: { text: r.error!.message },
        locations: [location(r.path, r.error!.line, r.error!.column)],
      })),
    // Places left as they are: not findings, but the reader should know they were not checked.
    ...results.flatMap((r) => (r.skipped ?? []).map((s) => ({ level: "note", message: { text: s.reason }, locations: [location(r.path, s.line, s.column)] }))),
  ];
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "spawnsafe", version, informationUri: TOOL_URI, rules: sarifRules } },
        invocations: [{ executionSuccessful: !notifications.some((n) => n.level === "error"), toolExecutionNotifications: notifications }],
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

/**
 * A file's path as a URI reference: relative paths (as spawnsafe shows them, from the
 * working directory) stay relative, absolute ones become file: URIs; each segment is
 * percent-encoded, so that `:`, `#`, `?` and `%` in a name stay part of the name instead of
 * starting a scheme, fragment or query.
 */
export function artifactUri(path: string): string {
  const segments = path.split("/").map((s) => encodeURIComponent(s));
  return path.startsWith("/") ? `file://${segments.join("/")}` : segments.join("/");
}

function location(path: string, line: number, column: number, endLine?: number, endColumn?: number): object {
  const region: Record<string, number> = { startLine: line, startColumn: column };
  if (endLine !== undefined && endColumn !== undefined) Object.assign(region, { endLine, endColumn });
  return { physicalLocation: { artifactLocation: { uri: artifactUri(path) }, region } };
}
