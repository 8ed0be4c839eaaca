// A scratch project on disk for a test: files by relative path, in a new temporary directory.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function writeTree(files: Record<string, string | Buffer>, prefix = "spawnsafe-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
