// [tool.spawnsafe] in pyproject.toml: read, validated key by key, merged under the flags.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import picomatch from "picomatch";
import type { Mode, StartMethod } from "../transform";

export interface Override {
  paths: string[];
  mode?: Mode;
  method?: StartMethod;
  ignore?: string[];
}

export interface Config {
  /** The file it came from, or null for none. */
  file: string | null;
  mode?: Mode;
  method?: StartMethod;
  exclude: string[];
  ignore: string[];
  overrides: Override[];
}

export class ConfigError extends Error {}

const MODES = ["auto", "app", "lib"];
const METHODS = ["spawn", "forkserver"];
const TOP_KEYS = new Set(["mode", "method", "exclude", "extend-exclude", "ignore", "overrides"]);
const OVERRIDE_KEYS = new Set(["paths", "mode", "method", "ignore"]);

export const EMPTY_CONFIG: Config = { file: null, exclude: [], ignore: [], overrides: [] };

/** The config of `--config FILE`, or of pyproject.toml at the project root when it has [tool.spawnsafe]. */
export function loadConfig(explicit: string | null, root: string): Config {
  const file = explicit ?? path.join(root, "pyproject.toml");
  if (!explicit && !fs.existsSync(file)) return EMPTY_CONFIG;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${file}: invalid TOML: ${(err as Error).message.split("\n")[0]}`);
  }
  // A spawnsafe.toml-style file given with --config may hold the table at top level.
  const tool = (doc.tool as Record<string, unknown> | undefined)?.spawnsafe;
  const table = tool ?? (explicit && !doc.tool && !doc.project ? doc : undefined);
  if (table === undefined) return { ...EMPTY_CONFIG, file: explicit ? file : null };
  return validate(file, table);
}

function validate(file: string, table: unknown): Config {
  const where = (key: string) => `${file}: [tool.spawnsafe] ${key}`;
  if (!isTable(table)) throw new ConfigError(`${file}: [tool.spawnsafe] must be a table`);
  for (const key of Object.keys(table)) {
    if (!TOP_KEYS.has(key)) throw new ConfigError(`${where(key)}: unknown key (known: ${[...TOP_KEYS].join(", ")})`);
  }
  const config: Config = { file, exclude: [], ignore: [], overrides: [] };
  if (table.mode !== undefined) config.mode = oneOf(where("mode"), table.mode, MODES) as Mode;
  if (table.method !== undefined) config.method = oneOf(where("method"), table.method, METHODS) as StartMethod;
  const base = path.dirname(file);
  for (const key of ["exclude", "extend-exclude"]) {
    if (table[key] !== undefined) config.exclude.push(...globs(where(key), table[key]).flatMap((g) => anchored(base, g)));
  }
  if (table.ignore !== undefined) config.ignore = codes(where("ignore"), table.ignore);
  if (table.overrides !== undefined) {
    if (!Array.isArray(table.overrides)) throw new ConfigError(`${where("overrides")}: must be an array of tables ([[tool.spawnsafe.overrides]])`);
    config.overrides = table.overrides.map((o, i) => {
      const at = (key: string) => `${file}: [[tool.spawnsafe.overrides]] #${i + 1} ${key}`;
      if (!isTable(o)) throw new ConfigError(`${at("")}: must be a table`);
      for (const key of Object.keys(o)) {
        if (!OVERRIDE_KEYS.has(key)) throw new ConfigError(`${at(key)}: unknown key (known: ${[...OVERRIDE_KEYS].join(", ")})`);
      }
      if (o.paths === undefined) throw new ConfigError(`${at("paths")}: required`);
      const override: Override = { paths: globs(at("paths"), o.paths).flatMap((g) => anchored(base, g)) };
      if (o.mode !== undefined) override.mode = oneOf(at("mode"), o.mode, MODES) as Mode;
      if (o.method !== undefined) override.method = oneOf(at("method"), o.method, METHODS) as StartMethod;
      if (o.ignore !== undefined) override.ignore = codes(at("ignore"), o.ignore);
      return override;
    });
  }
  return config;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function oneOf(where: string, value: unknown, allowed: string[]): string {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new ConfigError(`${where}: must be one of ${allowed.map((a) => `"${a}"`).join(", ")} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function globs(where: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new ConfigError(`${where}: must be an array of glob strings (got ${JSON.stringify(value)})`);
  }
  return value;
}

function codes(where: string, value: unknown): string[] {
  const list = globs(where, value).map((c) => c.toUpperCase());
  const bad = list.find((c) => !/^SPS\d{3}$/.test(c));
  if (bad) throw new ConfigError(`${where}: "${bad}" is not a finding code (see 'spawnsafe rules')`);
  return list;
}

/**
 * Globs in a config file are relative to its directory and matched against absolute paths;
 * a glob also covers everything below what it matches, and a bare name ("legacy", "*_test.py")
 * matches at any depth, as in .gitignore.
 */
function anchored(base: string, glob: string): string[] {
  const posixBase = base.split(path.sep).join("/");
  const rooted = glob.startsWith("/") ? glob : glob.includes("/") ? `${posixBase}/${glob.replace(/^\.\//, "")}` : `${posixBase}/**/${glob}`;
  const trimmed = rooted.replace(/\/+$/, "");
  return [trimmed, `${trimmed}/**`];
}

/** The settings for one file: the config's, then the first matching override's. */
export function settingsFor(config: Config, file: string): { mode?: Mode; method?: StartMethod; ignore: string[] } {
  const posix = file.split(path.sep).join("/");
  const settings = { mode: config.mode, method: config.method, ignore: [...config.ignore] };
  for (const o of config.overrides) {
    if (!picomatch(o.paths, { dot: true })(posix)) continue;
    if (o.mode) settings.mode = o.mode;
    if (o.method) settings.method = o.method;
    if (o.ignore) settings.ignore.push(...o.ignore);
    break;
  }
  return settings;
}
