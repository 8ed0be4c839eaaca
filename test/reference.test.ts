// The reference pages made from the tables (issue 21): docs/cli.md must be what the option
// tables make and agree with each command's --help; docs/rules.md must list every rule.
// UPDATE_SNAPSHOTS=1 rewrites both pages.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "./helpers/cli";
import { REPO_ROOT } from "./fixture-cases";
import { ABOUT, COMMANDS } from "../src/command-line";
import { cliReference, rulesIndex } from "../src/reference";
import { allRules } from "../transforms/registry";

const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";

function checkPage(relative: string, made: string): void {
  const file = path.join(REPO_ROOT, relative);
  if (UPDATE) fs.writeFileSync(file, made);
  const kept = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  assert.equal(kept, made, `${relative} differs from the tables: npm run build && UPDATE_SNAPSHOTS=1 node dist/test/run.js reference`);
}

test("docs/cli.md is what the option tables make", () => {
  checkPage("docs/cli.md", cliReference(COMMANDS, ABOUT));
});

test("docs/rules.md is what the rules make, and links every rule's page", () => {
  checkPage("docs/rules.md", rulesIndex(allRules));
  const page = fs.readFileSync(path.join(REPO_ROOT, "docs/rules.md"), "utf8");
  for (const r of allRules) assert.ok(page.includes(`| ${r.code} | [${r.name}](../transforms/${r.name}.md) |`), r.code);
});

/** The options `--help` lists for a command: `--name` of each option line. */
function helpOptions(help: string): string[] {
  const lines = help.split("\n");
  const start = lines.indexOf("Options:");
  const options: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") break;
    const m = /^\s+(?:-\w, )?\s*(--[\w-]+)/.exec(line);
    if (m) options.push(m[1]);
  }
  return options;
}

/** The options docs/cli.md lists under `## NAME`: the first `--name` of each table row. */
function pageOptions(page: string, command: string): string[] {
  const section = page.split(`\n## ${command}\n`)[1].split("\n## ")[0];
  return section.split("\n").filter((l) => l.startsWith("| `")).map((l) => /`(--[\w-]+)`/.exec(l)![1]);
}

test("docs/cli.md and each command's --help name the same options and say the same of the command", async () => {
  const page = fs.readFileSync(path.join(REPO_ROOT, "docs/cli.md"), "utf8");
  const main = await cli(["--help"], os.tmpdir());
  for (const c of COMMANDS) {
    const r = await cli([c.name, "--help"], os.tmpdir());
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...pageOptions(page, c.name), "--help"], helpOptions(r.stdout), c.name);
    assert.ok(r.stdout.includes(`spawnsafe ${c.usage}`) && page.includes(`spawnsafe ${c.usage}`), `${c.name}: usage`);
    const described = `${c.describe[0].toUpperCase()}${c.describe.slice(1)}.`;
    assert.ok(r.stdout.includes(c.describe) && page.includes(described), `${c.name}: description`);
    assert.ok(main.stdout.includes(c.describe), `${c.name} in spawnsafe --help`);
    for (const o of c.options) {
      const row = page.split(`\n## ${c.name}\n`)[1].split("\n").find((l) => l.includes(`\`--${o.name}\``))!;
      assert.ok(row.includes(o.describe.replace(/\|/g, "\\|")), `${c.name} --${o.name}: its help text`);
      assert.ok(r.stdout.includes(o.describe), `${c.name} --${o.name} in --help`);
    }
  }
});
