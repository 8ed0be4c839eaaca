// `spawnsafe completion bash|zsh|fish` (issue 21): scripts made from the option tables. The
// bash one is run as bash runs it on TAB: sourced, then its function called with COMP_WORDS.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { cli } from "./helpers/cli";
import { COMMANDS } from "../src/command-line";
import { allRules } from "../transforms/registry";

let script: string | null = null;

async function bashScript(): Promise<string> {
  if (script) return script;
  const r = await cli(["completion", "bash"], os.tmpdir());
  assert.equal(r.status, 0, r.stderr);
  script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-completion-")), "spawnsafe.bash");
  fs.writeFileSync(script, r.stdout);
  return script;
}

/** What bash offers for the command line `words`, the cursor at the end of the last word, run in `cwd`. */
async function complete(words: string[], cwd = os.tmpdir()): Promise<string[]> {
  const file = await bashScript();
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(" ");
  const program = [
    `source '${file}'`,
    // As bash gives them: `--mode=a` is three words, the '=' one of them.
    `COMP_WORDS=(${quoted})`,
    `COMP_CWORD=${words.length - 1}`,
    "_spawnsafe",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const r = spawnSync("bash", ["--norc", "--noprofile", "-c", program], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  return r.stdout.split("\n").filter((l) => l !== "");
}

test("the bash script registers _spawnsafe for the command spawnsafe", async () => {
  const r = spawnSync("bash", ["--norc", "--noprofile", "-c", `source '${await bashScript()}'; complete -p spawnsafe`], { encoding: "utf8" });
  assert.equal(r.stdout.trim(), "complete -F _spawnsafe spawnsafe");
});

test("bash completes the commands, and the global options", async () => {
  assert.deepEqual(await complete(["spawnsafe", ""]), COMMANDS.map((c) => c.name));
  assert.deepEqual(await complete(["spawnsafe", "ch"]), ["check"]);
  assert.deepEqual(await complete(["spawnsafe", "co"]), ["completion"]);
  assert.deepEqual(await complete(["spawnsafe", "--v"]), ["--version"]);
});

test("bash completes each command's own options, from the tables", async () => {
  assert.deepEqual(await complete(["spawnsafe", "fix", "--dr"]), ["--dry-run"]);
  assert.deepEqual(await complete(["spawnsafe", "check", "--dr"]), [], "--dry-run is fix's only");
  assert.deepEqual(await complete(["spawnsafe", "check", "--unsafe"]), ["--unsafe-fixes"]);
  assert.deepEqual(await complete(["spawnsafe", "verify", "--ti"]), ["--timeout"]);
  for (const c of COMMANDS) {
    const offered = await complete(["spawnsafe", c.name, "-"]);
    for (const o of c.options) assert.ok(offered.includes(`--${o.name}`), `${c.name} --${o.name}: ${offered.join(" ")}`);
  }
});

test("bash completes an option's choices, after a space or an '=', and knows the command past an option's value", async () => {
  assert.deepEqual(await complete(["spawnsafe", "fix", "--mode", ""]), ["auto", "app", "lib"]);
  assert.deepEqual(await complete(["spawnsafe", "check", "--output-format", "s"]), ["sarif"]);
  assert.deepEqual(await complete(["spawnsafe", "check", "--format", "=", "json"]), ["json", "json-lines"]);
  assert.deepEqual(await complete(["spawnsafe", "verify", "--output-format", "j"]), ["json", "junit"], "verify has no json-lines, and junit of its own");
  assert.deepEqual(await complete(["spawnsafe", "--method", "spawn", "ch"]), ["check"], "an option's value is not the command");
  assert.deepEqual(await complete(["spawnsafe", "--jobs", "2", "fix", "--mode", "l"]), ["lib"]);
});

test("bash completes finding codes and names after explain", async () => {
  const codes = await complete(["spawnsafe", "explain", "SPS"]);
  assert.deepEqual(codes, allRules.map((r) => r.code));
  assert.ok(codes.includes("SPS101") && codes.includes("SPS302"));
  assert.deepEqual(await complete(["spawnsafe", "explain", "SPS10"]), allRules.map((r) => r.code).filter((c) => c.startsWith("SPS10")));
  assert.deepEqual(await complete(["spawnsafe", "explain", "missing-"]), ["missing-main-guard"]);
  assert.deepEqual(await complete(["spawnsafe", "completion", ""]), ["bash", "zsh", "fish"]);
});

test("bash completes files where a path goes, and after verify's -- a command", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-completion-files-"));
  fs.writeFileSync(path.join(dir, "app.py"), "");
  fs.writeFileSync(path.join(dir, "a file.py"), "");
  fs.writeFileSync(path.join(dir, "spawnsafe.toml"), "");
  assert.deepEqual((await complete(["spawnsafe", "check", "a"], dir)).sort(), ["a file.py", "app.py"]);
  assert.deepEqual(await complete(["spawnsafe", "check", "--config", "sp"], dir), ["spawnsafe.toml"]);
  assert.deepEqual(await complete(["spawnsafe", "fix", "--", "ap"], dir), ["app.py"]);
  assert.deepEqual(await complete(["spawnsafe", "check", "--jobs", "a"], dir), [], "--jobs takes a number");
  assert.ok((await complete(["spawnsafe", "verify", "--", "bas"], dir)).includes("bash"));
  assert.deepEqual(await complete(["spawnsafe", "verify", "--", "python3", "ap"], dir), ["app.py"]);
});

test("zsh and fish scripts name every command, option and code", async () => {
  for (const shell of ["zsh", "fish"]) {
    const r = await cli(["completion", shell], os.tmpdir());
    assert.equal(r.status, 0, r.stderr);
    for (const c of COMMANDS) {
      assert.ok(r.stdout.includes(c.name), `${shell}: ${c.name}`);
      for (const o of c.options) {
        const zsh = `'${o.multiple ? "*" : ""}--${o.name}${o.type === "string" ? "=" : ""}[`;
        assert.ok(r.stdout.includes(shell === "fish" ? ` -l ${o.name} ` : zsh), `${shell}: ${c.name} --${o.name}`);
      }
    }
    for (const rule of allRules) assert.ok(r.stdout.includes(rule.code), `${shell}: ${rule.code}`);
  }
  assert.match((await cli(["completion", "zsh"], os.tmpdir())).stdout, /^#compdef spawnsafe\n/);
});

test("completion takes one of bash, zsh, fish", async () => {
  const r = await cli(["completion", "powershell"], os.tmpdir());
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^spawnsafe: completion knows bash, zsh, fish, not 'powershell'\n/);
  assert.equal((await cli(["completion"], os.tmpdir())).status, 2);
});
