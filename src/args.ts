// The command line's grammar: commands, their options, and a parser (node's util.parseArgs,
// then checks of our own) that decides everything about the arguments before any command
// runs. A misspelt flag, a value out of range or an empty path is a usage error found here,
// so a command never starts and then stops half way.
import { parseArgs } from "node:util";

export class UsageError extends Error {}

export interface OptionSpec {
  /** Long name, without the dashes. */
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** May be given more than once (each value kept); other options given twice are an error. */
  multiple?: boolean;
  choices?: readonly string[];
  /** The value's name in the help (`--cache-dir PATH`). */
  value?: string;
  describe: string;
  /** Shown in the help as the default. */
  defaultText?: string;
  /** Other long names for the same option (`--format` for `--output-format`). */
  aliases?: string[];
}

export interface CommandSpec {
  name: string;
  /** `fix [paths..]` */
  usage: string;
  describe: string;
  options: OptionSpec[];
  /** What the positional arguments after the command are. */
  positionals: { name: string; min: number; max: number; describe: string; /** What a shell completes there (src/completion.ts). */ completes?: Completes };
  /** Lines after the options in the command's help. */
  epilog?: string;
}

/** Files, finding codes and names, the shells, or (after `--`) a command to run. */
export type Completes = "files" | "codes" | "shells" | "command";

export type Values = Record<string, string | boolean | string[] | undefined>;

export type Parsed =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | {
      kind: "command";
      command: CommandSpec;
      values: Values;
      /** The positionals after the command name, in order. */
      positionals: Array<{ value: string; /** given after `--`: a path, never an option or stdin */ literal: boolean }>;
    };

export const HELP: OptionSpec = { name: "help", short: "h", type: "boolean", describe: "show this help" };
export const VERSION: OptionSpec = { name: "version", type: "boolean", describe: "print the version" };

/**
 * Parses `argv` (the arguments after `spawnsafe`): the first positional names the command;
 * options may come before or after it, in any order; after `--` every argument is a
 * positional. Throws UsageError.
 */
export function parseCommandLine(argv: string[], commands: CommandSpec[], about: string): Parsed {
  const all = new Map<string, OptionSpec>();
  for (const o of [HELP, VERSION, ...commands.flatMap((c) => c.options)]) {
    all.set(o.name, o);
    for (const a of o.aliases ?? []) all.set(a, o);
  }
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple: true }> = {};
  for (const [name, o] of all) config[name] = { type: o.type, ...(o.short && name === o.name ? { short: o.short } : {}), multiple: true };
  const { tokens } = parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true });

  const positionals: Array<{ value: string; literal: boolean }> = [];
  let literal = false;
  const given: Array<{ spec: OptionSpec | null; raw: string; value: string | undefined; inline: boolean }> = [];
  for (const token of tokens!) {
    if (token.kind === "option-terminator") literal = true;
    else if (token.kind === "positional") positionals.push({ value: token.value, literal });
    else {
      const spec = all.get(token.name) ?? null;
      const arg = argv[token.index];
      given.push({ spec, raw: arg.startsWith("--") ? arg.split("=")[0] : arg, value: token.value, inline: token.inlineValue === true });
    }
  }
  const commandName = positionals.length > 0 && !positionals[0].literal ? positionals.shift()!.value : null;
  const command = commandName === null ? null : commands.find((c) => c.name === commandName) ?? null;
  if (commandName !== null && !command) throw new UsageError(`unknown command '${commandName}'${suggest(commandName, commands.map((c) => c.name))} (commands: ${commands.map((c) => c.name).join(", ")})`);

  // Help and version win over everything else but an unknown option, as with ruff.
  const allowed = new Set([HELP, VERSION, ...(command?.options ?? [])].map((o) => o.name));
  for (const g of given) {
    if (!g.spec) {
      const hint = suggest(g.raw.replace(/^-+/, ""), [...all.keys()], "--") || `; a path that starts with '-' goes after '--': spawnsafe ${commandName ?? "check"} -- ${g.raw}`;
      throw new UsageError(`unknown option '${g.raw}'${hint}`);
    }
    if (!allowed.has(g.spec.name)) {
      const owners = commands.filter((c) => c.options.some((o) => o.name === g.spec!.name)).map((c) => c.name);
      throw new UsageError(command ? `${display(g.spec)} is not an option of '${command.name}'` : `${display(g.spec)} goes with a command (${owners.join(", ")})`);
    }
  }
  if (given.some((g) => g.spec === HELP)) return { kind: "help", text: command ? commandHelp(command) : mainHelp(commands, about) };
  if (given.some((g) => g.spec === VERSION)) return { kind: "version" };
  if (!command) throw new UsageError(`give a command: ${commands.map((c) => c.name).join(", ")}`);

  const values: Values = {};
  for (const g of given) {
    // Commands may give an option of the same name other choices: the command's own spec decides.
    const spec = command.options.find((o) => o.name === g.spec!.name) ?? g.spec!;
    if (spec.type === "boolean") {
      if (g.inline) throw new UsageError(`${display(spec)} takes no value (${g.raw}=${g.value})`);
      values[spec.name] = true;
      continue;
    }
    if (g.value === undefined) throw new UsageError(`${display(spec)} needs a value${spec.choices ? `: ${spec.choices.join(", ")}` : ""}`);
    if (spec.choices && !spec.choices.includes(g.value)) {
      throw new UsageError(`${display(spec)} must be one of ${spec.choices.join(", ")}, not '${g.value}'${suggest(g.value, spec.choices)}`);
    }
    if (spec.multiple) values[spec.name] = [...((values[spec.name] as string[] | undefined) ?? []), g.value];
    else if (values[spec.name] !== undefined && values[spec.name] !== g.value) throw new UsageError(`${display(spec)} given more than once`);
    else values[spec.name] = g.value;
  }
  const p = command.positionals;
  if (positionals.length < p.min) throw new UsageError(`'${command.name}' needs ${p.name === "code" ? "a finding code" : `the ${p.name}`}: ${command.name} ${p.name.toUpperCase()}`);
  if (positionals.length > p.max) throw new UsageError(`'${command.name}' takes ${p.max === 0 ? "no arguments" : `one ${p.name}`}; got ${positionals.map((x) => `'${x.value}'`).join(" ")}`);
  return { kind: "command", command, values, positionals };
}

/** `--mode` or `-j, --jobs`, as the help shows it. */
function display(spec: OptionSpec): string {
  return `--${spec.name}`;
}

/** "; did you mean --dry-run?" for a near miss. */
function suggest(word: string, known: readonly string[], prefix = ""): string {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(word.length / 4)) ? `; did you mean ${prefix}${best}?` : "";
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function optionLines(options: OptionSpec[]): string[] {
  const left = (o: OptionSpec) => `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`;
  const width = Math.max(...options.map((o) => left(o).length));
  return options.map((o) => {
    const extra = [o.aliases?.length ? `also ${o.aliases.map((a) => `--${a}`).join(", ")}` : "", o.defaultText ? `default: ${o.defaultText}` : ""].filter(Boolean).join("; ");
    return `  ${left(o).padEnd(width)}  ${o.describe}${extra ? ` (${extra})` : ""}`;
  });
}

export function commandHelp(command: CommandSpec): string {
  const lines = [`spawnsafe ${command.usage}`, "", command.describe, ""];
  if (command.positionals.max > 0) lines.push("Arguments:", `  ${command.positionals.name.padEnd(8)}  ${command.positionals.describe}`, "");
  lines.push("Options:", ...optionLines([...command.options, HELP]));
  if (command.epilog) lines.push("", command.epilog);
  return lines.join("\n") + "\n";
}

export function mainHelp(commands: CommandSpec[], about: string): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    "spawnsafe <command> [options] [paths..]",
    "",
    about,
    "",
    "Commands:",
    ...commands.map((c) => `  spawnsafe ${c.usage.padEnd(width)}  ${c.describe}`),
    "",
    "Options:",
    ...optionLines([HELP, VERSION]),
    "",
    "Run 'spawnsafe <command> --help' for the options of a command.",
  ].join("\n") + "\n";
}
