// The README's first command fixes the bundled example (examples/run.sh): its programs must keep
// getting their safe fixes, or the example runs app.py under fork, where it hangs now and then.
// (A logger's records were once taken for a change of the logger, and the example stayed unfixed.)
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "./helpers/cli";

test("the bundled example's programs and library get their fixes as safe ones", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawnsafe-example-"));
  fs.cpSync(path.join(__dirname, "..", "..", "examples", "demo"), dir, { recursive: true });
  const r = await cli(["check", "-q", "--no-cache", "."], dir);
  for (const expected of [/^app\.py:\d+:\d+: SPS102 \[\*\] /m, /^jobs\/work\.py:\d+:\d+: SPS103 \[\*\] /m, /^quick\.py:\d+:\d+: SPS101 \[\*\] /m]) {
    assert.match(r.stdout, expected, r.stdout);
  }
});
