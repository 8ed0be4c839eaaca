// The reference pages made from the tables, so that they cannot drift from the code:
// docs/cli.md from the commands and options (src/command-line.ts), docs/rules.md from the
// rules (transforms/registry.ts). test/reference.test.ts fails when a page differs from what
// these functions make, and rewrites it under UPDATE_SNAPSHOTS=1.
import { HELP, VERSION, type CommandSpec, type OptionSpec } from "./args";

export interface RuleEntry {
  code: string;
  name: string;
  summary: string;
  fix: string;
}

const REWRITE = "npm run build && UPDATE_SNAPSHOTS=1 node dist/test/run.js reference";

/** Text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function spelled(o: OptionSpec): string {
  return [...(o.short ? [`-${o.short}`] : []), `--${o.name}`, ...(o.aliases ?? []).map((a) => `--${a}`)].map((s) => `\`${s}\``).join(", ");
}

function optionRow(o: OptionSpec): string {
  const value = o.choices ? o.choices.map((c) => `\`${c}\``).join(", ") : o.value ? `\`${o.value}\`` : "";
  return `| ${spelled(o)} | ${cell(value)} | ${cell(o.defaultText ?? "")} | ${cell(o.describe)} |`;
}

/** A command's epilog as Markdown: its indented lines (commands to type) fenced. */
function epilogLines(epilog: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of epilog.split("\n")) {
    const indented = line.startsWith("  ");
    if (indented !== fenced) out.push(indented ? "```sh" : "```");
    fenced = indented;
    out.push(indented ? line.trim() : line);
  }
  if (fenced) out.push("```");
  return out;
}

/** docs/cli.md: every command, its arguments and options, as `--help` gives them. */
export function cliReference(commands: CommandSpec[], about: string): string {
  const lines = [
    "# Command-line reference",
    "",
    "<!-- Made from the option tables (src/command-line.ts) by src/reference.ts; test/reference.test.ts checks it against them",
    `and --help. Rewrite: ${REWRITE} -->`,
    "",
    about,
    "",
    "```",
    "spawnsafe <command> [options] [paths..]",
    "```",
    "",
    "| command | what it does |",
    "| --- | --- |",
    ...commands.map((c) => `| [\`${c.usage}\`](#${c.name}) | ${cell(c.describe)} |`),
    "",
    `Every command also takes ${spelled(HELP)} (${HELP.describe}); without a command, ${spelled(VERSION)} prints the version.`,
    "How the command line reads its arguments (options in any order, usage errors, paths after `--`) is in",
    "[Running check and fix](usage.md#the-command-line); the exit statuses in [Exit status](usage.md#exit-status).",
  ];
  for (const c of commands) {
    lines.push("", `## ${c.name}`, "", "```", `spawnsafe ${c.usage}`, "```", "", `${c.describe[0].toUpperCase()}${c.describe.slice(1)}.`);
    if (c.positionals.max > 0) lines.push("", `Arguments: \`${c.positionals.name}\`, ${c.positionals.describe}.`);
    if (c.options.length > 0) {
      lines.push("", "| option | value | default | meaning |", "| --- | --- | --- | --- |", ...c.options.map(optionRow));
    }
    if (c.epilog) lines.push("", ...epilogLines(c.epilog));
  }
  return lines.join("\n") + "\n";
}

/** docs/rules.md: every finding code, linking its page beside its rule. */
export function rulesIndex(rules: RuleEntry[]): string {
  const fixable = (r: RuleEntry) => (r.fix === "always" ? "always" : r.fix === "sometimes" ? "sometimes" : "no fix");
  return [
    "# Rules",
    "",
    `<!-- Made from transforms/registry.ts by src/reference.ts; test/reference.test.ts checks it. Rewrite: ${REWRITE} -->`,
    "",
    "Each finding has a code, never reused, and a name; `spawnsafe rules` lists them and",
    "`spawnsafe explain CODE` (or `explain NAME`) prints the page linked below. Each page says what the",
    "rule finds, why it breaks under spawn, an example and what to write instead, and its **Fix safety**:",
    "when the fix is safe (`[*]`, applied by `spawnsafe fix`), when it is unsafe (`[-]`, applied only",
    "with `--unsafe-fixes`), and when there is none. [Fix safety](fix-safety.md) explains the proofs",
    "behind that; [the design page](design.md#adding-a-rule) how a rule is added.",
    "",
    "| code | name | fix | what it finds |",
    "| --- | --- | --- | --- |",
    ...rules.map((r) => `| ${r.code} | [${r.name}](../transforms/${r.name}.md) | ${fixable(r)} | ${cell(r.summary)} |`),
    "",
    "SPS1xx are about the start method and the bootstrap (what a spawned child runs again on import),",
    "SPS2xx about what a child needs and does not get, SPS3xx what only a run shows (`spawnsafe verify`,",
    "which also reports some of the static codes: see [verify](verify.md#what-it-reports)), SPS900 the",
    "suppressions themselves.",
    "",
    "## Suppressing a finding",
    "",
    "A comment `# spawnsafe: ignore[SPS101]` (several codes: `ignore[SPS101,SPS205]`), or a bare",
    "`# spawnsafe: ignore`, on a finding's line silences it, for `check`, `fix` and `verify` alike. A",
    "suppression that silences nothing is itself a finding (SPS900). To turn a rule off for a project",
    "or for some paths, use `ignore` in the [configuration](configuration.md).",
  ].join("\n") + "\n";
}
