// A stand-in for python3 that speaks the judge's protocol (src/judge.ts) without
// compiling anything, so the fast tier can test how a run uses CPython's verdicts without
// python3. It rejects a source holding `REJECT-ORIGINAL`, or holding `REJECT-REWRITE` and a
// `set_start_method(` call (so the rewrite of such a file is rejected and not its original),
// and dies (SIGKILL) on a source holding `CRASH-JUDGE`. Every process it starts appends a line
// to the file named by $FAKE_PYTHON_LOG.
import * as fs from "node:fs";
import * as path from "node:path";

const SCRIPT = `#!${process.execPath}
const fs = require("fs");
if (process.env.FAKE_PYTHON_LOG) fs.appendFileSync(process.env.FAKE_PYTHON_LOG, "start\\n");
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const files = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const lines = [JSON.stringify("3.99.1")];
  for (const f of files) {
    const src = Buffer.from(f.source, "base64").toString("latin1");
    if (src.includes("CRASH-JUDGE")) {
      fs.writeSync(1, lines.join("\\n") + "\\n");
      process.kill(process.pid, "SIGKILL");
    }
    const at = src.split("\\n").findIndex((l) => l.includes("REJECT-"));
    const rejected = src.includes("REJECT-ORIGINAL") || (src.includes("REJECT-REWRITE") && src.includes("set_start_method("));
    lines.push(JSON.stringify(rejected ? { accepted: false, kind: "SyntaxError", message: "rejected by the fake", line: at + 1, column: 3 } : { accepted: true }));
  }
  fs.writeSync(1, lines.join("\\n") + "\\n");
});
`;

/** Writes the fake interpreter into `dir`; returns its path (for $SPAWNSAFE_PYTHON). */
export function fakePython(dir: string): string {
  const file = path.join(dir, "fake-python");
  fs.writeFileSync(file, SCRIPT, { mode: 0o755 });
  return file;
}
