// `spawnsafe completion bash|zsh|fish`: shell completion scripts made from the option tables
// (src/command-line.ts), as ruff's generate-shell-completion makes them from its parser, so a
// new option or code completes without anyone editing a script. Commands, options, their
// choices, files where a path goes, and finding codes and names after `explain`.
import { HELP, VERSION, type CommandSpec, type OptionSpec } from "./args";
import type { Shell } from "./command-line";

/** A finding code and its name, as `spawnsafe rules` lists them. */
export interface CodeEntry {
  code: string;
  name: string;
  summary: string;
}

/** What an option's value is: one of its choices, a file, or a word of the user's own. */
function valueOf(o: OptionSpec): { kind: "choices"; choices: readonly string[] } | { kind: "files" } | { kind: "free" } {
  if (o.choices) return { kind: "choices", choices: o.choices };
  return o.value === "PATH" || o.value === "GLOB" ? { kind: "files" } : { kind: "free" };
}

/** Every spelling of an option: `--output-format`, `--format`, `-q`. */
function spellings(o: OptionSpec): string[] {
  return [`--${o.name}`, ...(o.aliases ?? []).map((a) => `--${a}`), ...(o.short ? [`-${o.short}`] : [])];
}

export function completionScript(shell: Shell, commands: CommandSpec[], codes: CodeEntry[]): string {
  if (shell === "bash") return bashScript(commands, codes);
  if (shell === "zsh") return zshScript(commands, codes);
  return fishScript(commands, codes);
}

function codeWords(codes: CodeEntry[]): string[] {
  return [...codes.map((c) => c.code), ...codes.map((c) => c.name)];
}

function bashScript(commands: CommandSpec[], codes: CodeEntry[]): string {
  const takesValue = [...new Set(commands.flatMap((c) => c.options).filter((o) => o.type === "string").flatMap(spellings))];
  const lines = [
    "# bash completion for spawnsafe: `spawnsafe completion bash`, made from its option tables.",
    "# Install: spawnsafe completion bash > ~/.local/share/bash-completion/completions/spawnsafe",
    "_spawnsafe_words() { COMPREPLY=($(compgen -W \"$1\" -- \"$2\")); }",
    "_spawnsafe_files() { local IFS=$'\\n'; COMPREPLY=($(compgen -f -- \"$1\")); compopt -o filenames 2>/dev/null; }",
    "_spawnsafe() {",
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd="" dashdash="" i word',
    "  COMPREPLY=()",
    "  # `--mode=a`: bash splits the word at '='.",
    '  if [[ $cur == "=" ]]; then cur=""; elif [[ $prev == "=" ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; fi',
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    "    word=${COMP_WORDS[i]}",
    "    [[ -n $dashdash ]] && { dashdash=$((dashdash + 1)); continue; }",
    "    case $word in",
    "      --) dashdash=1 ;;",
    `      ${takesValue.join("|")}) [[ \${COMP_WORDS[i+1]} == "=" ]] && ((i++)); ((i++)) ;;`,
    "      -*|=) ;;",
    '      *) [[ -z $cmd ]] && cmd=$word ;;',
    "    esac",
    "  done",
    "  case $cmd in",
  ];
  for (const c of commands) {
    lines.push(`    ${c.name})`);
    const p = c.positionals;
    if (p.completes === "command") {
      // After `--` comes the command to run: a program, then its own arguments.
      lines.push('      if [[ $dashdash == 1 ]]; then COMPREPLY=($(compgen -c -- "$cur")); return 0; fi');
      lines.push('      if [[ -n $dashdash ]]; then _spawnsafe_files "$cur"; return 0; fi');
    } else if (p.completes === "files") {
      lines.push('      if [[ -n $dashdash ]]; then _spawnsafe_files "$cur"; return 0; fi');
    }
    const valued = c.options.filter((o) => o.type === "string");
    if (valued.length > 0) {
      lines.push("      case $prev in");
      for (const o of valued) {
        const v = valueOf(o);
        const action =
          v.kind === "choices" ? `_spawnsafe_words "${v.choices.join(" ")}" "$cur"` : v.kind === "files" ? '_spawnsafe_files "$cur"' : ":";
        lines.push(`        ${spellings(o).join("|")}) ${action}; return 0 ;;`);
      }
      lines.push("      esac");
    }
    const options = [...c.options, HELP].flatMap(spellings);
    lines.push(`      if [[ $cur == -* ]]; then _spawnsafe_words "${options.join(" ")}" "$cur"; return 0; fi`);
    if (p.completes === "files") lines.push('      _spawnsafe_files "$cur"');
    else if (p.completes === "codes") lines.push(`      _spawnsafe_words "${codeWords(codes).join(" ")}" "$cur"`);
    else if (p.completes === "shells") lines.push('      _spawnsafe_words "bash zsh fish" "$cur"');
    lines.push("      ;;");
  }
  lines.push(
    "    *)",
    `      if [[ $cur == -* ]]; then _spawnsafe_words "${[HELP, VERSION].flatMap(spellings).join(" ")}" "$cur"; return 0; fi`,
    `      _spawnsafe_words "${commands.map((c) => c.name).join(" ")}" "$cur"`,
    "      ;;",
    "  esac",
    "  return 0",
    "}",
    "complete -F _spawnsafe spawnsafe",
  );
  return lines.join("\n") + "\n";
}

/**
 * Text inside a zsh `_arguments` spec or a `_describe` item, in single quotes: brackets, colons,
 * `$` and backquotes escaped (as clap_complete does).
 */
function zshText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/([[\]:$`])/g, "\\$1").replace(/'/g, "'\\''");
}

function zshScript(commands: CommandSpec[], codes: CodeEntry[]): string {
  const optionSpec = (o: OptionSpec): string[] => {
    const v = valueOf(o);
    const action = v.kind === "choices" ? `(${v.choices.join(" ")})` : v.kind === "files" ? "_files" : " ";
    const value = o.type === "string" ? `:${o.value ?? "VALUE"}:${action}` : "";
    const repeat = o.multiple ? "*" : "";
    return spellings(o).map((s) => `'${repeat}${s}${o.type === "string" && s.startsWith("--") ? "=" : ""}[${zshText(o.describe)}]${value}'`);
  };
  const lines = [
    "#compdef spawnsafe",
    "# zsh completion for spawnsafe: `spawnsafe completion zsh`, made from its option tables.",
    '# Install: spawnsafe completion zsh > "${fpath[1]}/_spawnsafe"',
    "_spawnsafe() {",
    "  local curcontext=$curcontext state line ret=1",
    "  local -a commands codes",
    `  commands=(${commands.map((c) => `'${zshText(c.name)}:${zshText(c.describe)}'`).join(" ")})`,
    `  codes=(${[
      ...codes.map((c) => `'${c.code}:${zshText(`${c.name}: ${c.summary}`)}'`),
      ...codes.map((c) => `'${zshText(c.name)}:${c.code}'`),
    ].join(" ")})`,
    "  _arguments -C \\",
    ...[HELP, VERSION].flatMap(optionSpec).map((s) => `    ${s} \\`),
    "    '1:command:->command' \\",
    "    '*::argument:->argument' && ret=0",
    "  case $state in",
    "    command) _describe -t commands 'spawnsafe command' commands && ret=0 ;;",
    "    argument)",
    "      case $words[1] in",
  ];
  for (const c of commands) {
    const p = c.positionals;
    const rest =
      p.completes === "files" ? "'*:path:_files'" :
      p.completes === "codes" ? "'1:code:->code'" :
      p.completes === "shells" ? "'1:shell:(bash zsh fish)'" :
      p.completes === "command" ? "'*::command:_normal'" : "";
    // -S: after `--` no word is an option (a path, or verify's command).
    lines.push(`        ${c.name})`, "          _arguments -S \\");
    for (const s of [...c.options, HELP].flatMap(optionSpec)) lines.push(`            ${s} \\`);
    lines.push(`            ${rest} && ret=0`);
    if (p.completes === "codes") lines.push("          [[ $state == code ]] && _describe -t codes 'finding code' codes && ret=0");
    lines.push("          ;;");
  }
  lines.push("      esac", "      ;;", "  esac", "  return ret", "}", "", '_spawnsafe "$@"');
  return lines.join("\n") + "\n";
}

/** A fish argument in single quotes. */
function fishText(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishScript(commands: CommandSpec[], codes: CodeEntry[]): string {
  const names = commands.map((c) => c.name).join(" ");
  const lines = [
    "# fish completion for spawnsafe: `spawnsafe completion fish`, made from its option tables.",
    "# Install: spawnsafe completion fish > ~/.config/fish/completions/spawnsafe.fish",
    "complete -c spawnsafe -f",
    `complete -c spawnsafe -n "not __fish_seen_subcommand_from ${names}" -s h -l help -d ${fishText(HELP.describe)}`,
    `complete -c spawnsafe -n "not __fish_seen_subcommand_from ${names}" -l version -d ${fishText(VERSION.describe)}`,
  ];
  for (const c of commands) lines.push(`complete -c spawnsafe -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${fishText(c.describe)}`);
  for (const c of commands) {
    const when = `-n "__fish_seen_subcommand_from ${c.name}"`;
    for (const o of [...c.options, HELP]) {
      const v = valueOf(o);
      const value =
        o.type === "boolean" ? "" : v.kind === "choices" ? ` -x -a ${fishText(v.choices.join(" "))}` : v.kind === "files" ? " -r -F" : " -x";
      const longs = [o.name, ...(o.aliases ?? [])].map((l) => ` -l ${l}`).join("");
      lines.push(`complete -c spawnsafe ${when}${o.short ? ` -s ${o.short}` : ""}${longs}${value} -d ${fishText(o.describe)}`);
    }
    const p = c.positionals;
    if (p.completes === "files") lines.push(`complete -c spawnsafe ${when} -F`);
    if (p.completes === "shells") lines.push(`complete -c spawnsafe ${when} -x -a 'bash zsh fish'`);
    if (p.completes === "command") lines.push(`complete -c spawnsafe ${when} -F`);
    if (p.completes === "codes") {
      for (const code of codes) lines.push(`complete -c spawnsafe ${when} -x -a ${code.code} -d ${fishText(`${code.name}: ${code.summary}`)}`);
      for (const code of codes) lines.push(`complete -c spawnsafe ${when} -x -a ${code.name} -d ${code.code}`);
    }
  }
  return lines.join("\n") + "\n";
}
