// --summary-file: a Markdown account of the run, fit for the body of a pull request that a
// bulk-update tool opens in each repository: what changed and why, with the safety of each
// fix; what is left for a person, with links to each finding's documentation; what was left
// as it is, and what could not be processed. Tables are cut at MAX_ROWS so the body stays
// well under the size a forge accepts (GitHub: 65,536 characters).
import type { FileResult, Finding } from "../engine";
import type { Transform } from "../transform";
import type { RefusedReport } from "./json";
import type { Counts } from "./counts";
import { plural } from "./counts";
import { docsUrl } from "./docs";

const MAX_ROWS = 100;
/** Longer messages are cut in tables. */
const MAX_MESSAGE = 300;

export interface SummaryInput {
  command: "check" | "fix";
  dryRun: boolean;
  results: FileResult[];
  counts: Counts;
  refused: RefusedReport | null;
  pathErrors: Array<{ path: string; reason: string }>;
  version: string;
  transforms: Transform[];
  unsafeFixes: boolean;
}

export function markdownSummary(input: SummaryInput): string {
  const { command, dryRun, results, counts: c, version } = input;
  const names = new Map(input.transforms.map((t) => [t.code, t.name]));
  const codeLink = (f: Pick<Finding, "code" | "name">) => `[${f.code}](${docsUrl(names.get(f.code) ?? f.name, version)}) ${f.name}`;
  const out: string[] = [];
  const title = command === "check" ? "spawnsafe check" : dryRun ? "spawnsafe fix (dry run: nothing written)" : "spawnsafe fix";
  out.push(`## ${title}`, "");
  out.push(`Checked by [spawnsafe](https://www.npmjs.com/package/spawnsafe) ${version}, which moves Python code off multiprocessing's \`fork\` start method onto \`spawn\` and reports what would break.`, "");

  if (input.refused) {
    out.push(`**Nothing was written.** ${escapeText(input.refused.reason)}`, "");
  }
  const changedWord = command === "check" ? null : dryRun ? "would change" : "changed";
  const line = [
    `${plural(c.files, "file")} scanned`,
    ...(changedWord ? [`**${c.changed} ${changedWord}**`, `${plural(c.fixed, "finding")} ${dryRun ? "would be " : ""}fixed`] : []),
    `**${plural(c.left, "finding")} left**`,
    c.errors ? `**${plural(c.errors, "error")}**` : "no errors",
  ];
  out.push(line.join(", ") + ".", "");

  const changed = results.filter((r) => r.output && !r.error);
  if (changed.length > 0) {
    out.push(`### Files ${dryRun ? "that would change" : "changed"}`, "", "| File | Treated as | Fixes (safety) |", "| --- | --- | --- |");
    for (const r of changed.slice(0, MAX_ROWS)) {
      const fixes = r.findings.filter((f) => f.fixed).map((f) => `${codeLink(f)} line ${f.line} (${f.applicability ?? "safe"})`);
      out.push(row([code(r.path), decision(r), fixes.join("<br>")]));
    }
    more(out, changed.length);
    out.push("", "Safe fixes are the ones spawnsafe can show keep the program working; unsafe ones were applied only because `--unsafe-fixes` was given: review them first.", "");
  }

  const left = results.flatMap((r) => r.findings.filter((f) => !f.fixed).map((f) => ({ r, f })));
  if (left.length > 0) {
    out.push("### Findings left", "", "| Where | Finding | Fix |", "| --- | --- | --- |");
    for (const { r, f } of left.slice(0, MAX_ROWS)) out.push(row([code(`${r.path}:${f.line}:${f.column}`), `${codeLink(f)}: ${escapeText(cut(f.message))}`, fixText(f, input.unsafeFixes)]));
    more(out, left.length);
    out.push("");
  }

  const skipped = results.flatMap((r) => (r.skipped ?? []).map((s) => ({ r, s })));
  if (skipped.length > 0) {
    out.push("### Left as they are", "", "| Where | Why |", "| --- | --- |");
    for (const { r, s } of skipped.slice(0, MAX_ROWS)) out.push(row([code(`${r.path}:${s.line}:${s.column}`), escapeText(cut(s.reason))]));
    more(out, skipped.length);
    out.push("");
  }

  const errors = [...input.pathErrors.map((e) => ({ where: e.path, why: e.reason })), ...results.filter((r) => r.error).map((r) => ({ where: `${r.path}:${r.error!.line}:${r.error!.column}`, why: r.error!.message }))];
  if (errors.length > 0) {
    out.push("### Not processed", "", "| Where | Error |", "| --- | --- |");
    for (const e of errors.slice(0, MAX_ROWS)) out.push(row([code(e.where), escapeText(cut(e.why))]));
    more(out, errors.length);
    out.push("");
  }
  out.push("`spawnsafe explain CODE` prints a finding's documentation.");
  return out.join("\n") + "\n";
}

function fixText(f: Finding, unsafeFixes: boolean): string {
  if (f.applicability === "safe") return "safe: `spawnsafe fix`";
  if (f.applicability === "unsafe") return unsafeFixes ? "unsafe (not applied)" : "unsafe: `spawnsafe fix --unsafe-fixes`, after review";
  return "none: needs a person";
}

function decision(r: FileResult): string {
  if (!r.decision) return "";
  const role = r.decision.role === "app" ? "application" : r.decision.role;
  return `${role}: ${escapeText(cut(r.decision.reason))}`;
}

function more(out: string[], total: number): void {
  if (total > MAX_ROWS) out.push("", `…and ${total - MAX_ROWS} more (\`spawnsafe check\` lists them all).`);
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** A path or place as inline code, fenced with more backticks than it holds. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${text.includes("`") ? ` ${text} ` : text}${fence}`.replace(/\|/g, "\\|");
}

/** Text for a table cell: no line breaks, no bare pipes, no HTML. */
function escapeText(text: string): string {
  return text.replace(/\r?\n|\r/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function cut(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
