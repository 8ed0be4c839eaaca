// Output formats against their schemas, and suppression comments.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import { cli } from "./helpers/cli";
import { REPO_ROOT } from "./fixture-cases";

const APP = 'import multiprocessing as mp\n\ndef f(x):\n    return x\n\nif __name__ == "__main__":\n    with mp.Pool(2) as p:\n        print(p.map(f, [1]))\n';
const FORK = 'import os\npid = os.fork()\n';
const BROKEN = "import multiprocessing\ndef f(:\n";

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-formats-"));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

const reportSchema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema", "report.schema.json"), "utf8"));
const validateReport = new Ajv({ allErrors: true, strict: false }).compile<any>(reportSchema);
// The OASIS SARIF 2.1.0 schema (as published on schemastore.org), kept as a test fixture.
const sarifSchema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "sarif-2.1.0-rtm.5.json"), "utf8"));
// Formats (uri, date-time) are not checked by ajv here; the SARIF test checks its URIs itself.
const validateSarif = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false }).compile<any>(sarifSchema);

for (const args of [["check"], ["fix", "--dry-run"], ["fix"]]) {
  test(`${args.join(" ")} --format json validates against schema/report.schema.json`, async () => {
    const dir = project({ "app.py": APP, "forks.py": FORK, "broken.py": BROKEN });
    const r = await cli([...args, "--format", "json", "."], dir);
    const report = JSON.parse(r.stdout);
    const valid = validateReport(report);
    assert.ok(valid, JSON.stringify(validateReport.errors, null, 2));
    assert.equal(report.summary.errors, 1);
    const app = report.files.find((f: { path: string }) => f.path === "app.py");
    assert.equal(app.decision.role, "app");
    if (args[0] === "fix") {
      assert.equal(app.changed, true);
      assert.equal(app.findings[0].fixed, true);
      assert.equal("diff" in app, args.includes("--dry-run"));
    }
  });
}

test("--format sarif is valid SARIF 2.1.0 with every rule and its help", async () => {
  const dir = project({ "app.py": APP, "forks.py": FORK, "broken.py": BROKEN });
  const r = await cli(["check", "--format", "sarif", "."], dir);
  const log = JSON.parse(r.stdout);
  const valid = validateSarif(log);
  assert.ok(valid, JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2));
  const run = log.runs[0];
  const rules = (await cli(["rules"], dir)).stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(run.tool.driver.rules.map((x: { id: string }) => x.id), rules);
  assert.ok(run.tool.driver.rules.every((x: { help: { text: string } }) => x.help.text.includes("## Why is this bad?")));
  const ids = run.results.map((x: { ruleId: string }) => x.ruleId).sort();
  assert.deepEqual(ids, ["SPS102", "SPS201"]);
  const fork = run.results.find((x: { ruleId: string }) => x.ruleId === "SPS201");
  assert.deepEqual(fork.locations[0].physicalLocation, { artifactLocation: { uri: "forks.py" }, region: { startLine: 2, startColumn: 7, endLine: 2, endColumn: 16 } });
  assert.equal(run.invocations[0].executionSuccessful, false);
  assert.match(run.invocations[0].toolExecutionNotifications[0].message.text, /syntax error/);
});

test("SARIF: each artifact URI is a relative reference with every path segment percent-encoded", async () => {
  const names = ["a:b.py", "c#d.py", "e?f.py", "g h.py", "per%cent.py", "x/y:z.py"];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-formats-"));
  for (const n of names) {
    fs.mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
    fs.writeFileSync(path.join(dir, n), FORK);
  }
  const log = JSON.parse((await cli(["check", "--format", "sarif", "."], dir)).stdout);
  const uris = log.runs[0].results.map((x: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => x.locations[0].physicalLocation.artifactLocation.uri).sort();
  assert.deepEqual(uris, ["a%3Ab.py", "c%23d.py", "e%3Ff.py", "g%20h.py", "per%25cent.py", "x/y%3Az.py"]);
  for (const uri of uris) {
    // Resolved against a base, each names the file: no scheme, query or fragment of its own.
    const url = new URL(uri, "file:///repo/");
    assert.equal(url.protocol, "file:");
    assert.equal(url.search + url.hash, "");
    assert.ok(names.includes(decodeURIComponent(url.pathname.slice("/repo/".length))), uri);
  }
});

test("--format github prints workflow annotations", async () => {
  const dir = project({ "app.py": APP, "broken.py": BROKEN });
  const r = await cli(["check", "--format", "github", "."], dir);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0], /^::warning file=app\.py,line=7,col=10,endLine=7,endColumn=20,title=SPS102 default-start-method::Processes are created/);
  assert.match(lines[1], /^::error file=broken\.py,line=2,col=7,title=spawnsafe::syntax error/);
});

test("# spawnsafe: ignore[CODE] silences that code on its line; unused suppressions are reported", async () => {
  const suppressed = APP.replace("with mp.Pool(2) as p:", "with mp.Pool(2) as p:  # spawnsafe: ignore[SPS102]");
  const dir = project({
    "a.py": suppressed,
    "b.py": APP.replace("with mp.Pool(2) as p:", "with mp.Pool(2) as p:  # spawnsafe: ignore"),
    "c.py": APP.replace("with mp.Pool(2) as p:", "with mp.Pool(2) as p:  # spawnsafe: ignore[SPS101]"),
    "d.py": APP.replace("def f(x):", "def f(x):  # spawnsafe: ignore"),
    "e.py": APP.replace("def f(x):", 'def f(x):\n    s = "# spawnsafe: ignore"'),
  });
  const r = await cli(["check", "."], dir);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(
    lines.map((l) => l.split(" ").slice(0, 2).join(" ")),
    ["c.py:7:10: SPS102", "c.py:7:28: SPS900", "d.py:3:12: SPS900", "d.py:7:10: SPS102", "e.py:8:10: SPS102"],
  );
  assert.match(lines[1], /silences no SPS101/);
  // A suppressed finding is not fixed either.
  const fixed = await cli(["fix", "--dry-run", "a.py"], dir);
  assert.equal(fixed.status, 0);
});
