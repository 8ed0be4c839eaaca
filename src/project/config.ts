// [tool.spawnsafe] in pyproject.toml (or a file given with --config): read, validated key
// by key, and resolved per file under the command-line flags.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathInside } from "./paths";
import { parse as parseToml } from "smol-toml";
import picomatch from "picomatch";
import type { Mode, StartMethod } from "../options";
import { transforms } from "../../transforms/registry";

export interface Override {
  /** The globs as written, for reports. */
  paths: string[];
  matches: (relative: string) => boolean;
  mode?: Mode;
  method?: StartMethod;
  ignore?: string[];
  /** Where it is, for reports: `pyproject.toml [[tool.spawnsafe.overrides]] #1`. */
  where: string;
}

export interface Config {
  /** The file it came from (as shown in reports), or null for none. */
  file: string | null;
  /** The directory its globs are relative to. */
  base: string;
  /** How the table is named in messages: "[tool.spawnsafe]", or "" for a file of top-level keys. */
  table: string;
  mode?: Mode;
  method?: StartMethod;
  exclude: (relative: string) => boolean;
  ignore: string[];
  overrides: Override[];
}

export class ConfigError extends Error {}

const MODES = ["auto", "app", "lib"];
const METHODS = ["spawn", "forkserver"];
const TOP_KEYS = ["mode", "method", "exclude", "ignore", "overrides"];
const OVERRIDE_KEYS = ["paths", "mode", "method", "ignore"];

export function emptyConfig(base: string): Config {
  return { file: null, base, table: "", exclude: () => false, ignore: [], overrides: [] };
}

/**
 * The configuration for a project root: `--config FILE` when given (its globs relative to
 * the working directory, as ruff does), else [tool.spawnsafe] in the root's pyproject.toml
 * (globs relative to the root). Throws ConfigError for anything it cannot use.
 */
export function loadConfig(explicit: string | null, root: string, shownAs: (file: string) => string = (f) => f): Config {
  const file = explicit ? path.resolve(explicit) : path.join(root, "pyproject.toml");
  const base = explicit ? process.cwd() : root;
  const shown = shownAs(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === "ENOENT") return emptyConfig(base);
    throw new ConfigError(`${shown}: cannot read the configuration (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    const at = e.line ? `:${e.line}:${e.column ?? 1}` : "";
    throw new ConfigError(`${shown}${at}: invalid TOML: ${e.message.split("\n")[0].replace(/^Invalid TOML document: /, "")}`);
  }
  const tool = isTable(doc.tool) ? doc.tool.spawnsafe : undefined;
  if (tool !== undefined) return validate(shown, "[tool.spawnsafe]", base, tool);
  // A file given with --config that is not a pyproject.toml holds the keys at top level.
  if (explicit && path.basename(file) !== "pyproject.toml") return validate(shown, "", base, doc);
  return { ...emptyConfig(base), file: explicit ? shown : null };
}

function validate(file: string, table: string, base: string, value: unknown): Config {
  const where = (key: string) => `${file}: ${table ? `${table} ` : ""}${key}`;
  if (!isTable(value)) throw new ConfigError(`${file}: ${table} must be a table`);
  unknownKeys(value, TOP_KEYS, where);
  const config: Config = { ...emptyConfig(base), file, table };
  if (value.mode !== undefined) config.mode = oneOf(where("mode"), value.mode, MODES) as Mode;
  if (value.method !== undefined) config.method = oneOf(where("method"), value.method, METHODS) as StartMethod;
  if (value.exclude !== undefined) config.exclude = matcher(globs(where("exclude"), value.exclude));
  if (value.ignore !== undefined) config.ignore = codes(where("ignore"), value.ignore);
  if (value.overrides !== undefined) {
    const name = table ? `[[${table.slice(1, -1)}.overrides]]` : "[[overrides]]";
    if (!Array.isArray(value.overrides)) throw new ConfigError(`${where("overrides")}: must be an array of tables (${name})`);
    config.overrides = value.overrides.map((o, i) => {
      const at = (key: string) => `${file}: ${name} #${i + 1}${key ? ` ${key}` : ""}`;
      if (!isTable(o)) throw new ConfigError(`${at("")}: must be a table`);
      unknownKeys(o, OVERRIDE_KEYS, at);
      if (o.paths === undefined) throw new ConfigError(`${at("paths")}: required (the globs the override applies to)`);
      const paths = globs(at("paths"), o.paths);
      if (paths.length === 0) throw new ConfigError(`${at("paths")}: must name at least one glob`);
      const override: Override = { paths, matches: matcher(paths), where: `${file} ${name} #${i + 1}` };
      if (o.mode !== undefined) override.mode = oneOf(at("mode"), o.mode, MODES) as Mode;
      if (o.method !== undefined) override.method = oneOf(at("method"), o.method, METHODS) as StartMethod;
      if (o.ignore !== undefined) override.ignore = codes(at("ignore"), o.ignore);
      return override;
    });
  }
  return config;
}

function unknownKeys(table: Record<string, unknown>, known: string[], where: (key: string) => string): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) throw new ConfigError(`${where(key)}: unknown key (known keys: ${known.join(", ")})`);
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function oneOf(where: string, value: unknown, allowed: string[]): string {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new ConfigError(`${where}: must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, not ${show(value)}`);
  }
  return value;
}

function globs(where: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v.length > 0)) {
    throw new ConfigError(`${where}: must be an array of glob strings, not ${show(value)}`);
  }
  return value;
}

function codes(where: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new ConfigError(`${where}: must be an array of finding codes such as "SPS205", not ${show(value)}`);
  }
  const list = value.map((c) => c.toUpperCase());
  const bad = list.find((c) => !transforms.some((t) => t.code === c));
  if (bad) throw new ConfigError(`${where}: "${bad}" is not a finding code ('spawnsafe rules' lists them)`);
  return list;
}

function show(value: unknown): string {
  return value instanceof Date ? value.toISOString() : JSON.stringify(value);
}

/**
 * Globs are matched against paths relative to the config's base, with forward slashes. As in
 * .gitignore, a glob without a slash ("legacy", "*_test.py") matches a name at any depth, a
 * glob with one is anchored at the base, and a glob matching a directory covers what is in it.
 */
function matcher(list: string[]): (relative: string) => boolean {
  const patterns = list.flatMap((g) => {
    const trimmed = g.replace(/^\.\//, "").replace(/\/+$/, "");
    const anchored = trimmed.includes("/") ? trimmed.replace(/^\//, "") : `**/${trimmed}`;
    return [anchored, `${anchored}/**`];
  });
  const test = picomatch(patterns, { dot: true });
  return (relative) => test(relative);
}

/** A path relative to the config's base, or null when the file is outside it. */
function relativeTo(config: Config, file: string): string | null {
  const rel = pathInside(config.base, file);
  if (!rel) return null;
  return rel.split(path.sep).join("/");
}

export function isExcluded(config: Config, file: string): boolean {
  const rel = relativeTo(config, file);
  return rel !== null && config.exclude(rel);
}

export interface FileSettings {
  mode?: Mode;
  /** Where the mode came from: `mode = "app" in pyproject.toml [tool.spawnsafe]`. */
  modeFrom?: string;
  method?: StartMethod;
  ignore: string[];
}

/** The settings for one file: the table's, then every matching override's in order (later ones win). */
export function settingsFor(config: Config, file: string): FileSettings {
  const settings: FileSettings = { method: config.method, ignore: [...config.ignore] };
  if (config.mode) {
    settings.mode = config.mode;
    settings.modeFrom = `mode = "${config.mode}" in ${config.file}${config.table ? ` ${config.table}` : ""}`;
  }
  const rel = relativeTo(config, file);
  if (rel === null) return settings;
  for (const o of config.overrides) {
    if (!o.matches(rel)) continue;
    if (o.mode) {
      settings.mode = o.mode;
      settings.modeFrom = `mode = "${o.mode}" for paths ${JSON.stringify(o.paths)} in ${o.where}`;
    }
    if (o.method) settings.method = o.method;
    if (o.ignore) settings.ignore.push(...o.ignore);
  }
  return settings;
}
