// Writing a fixed file without ever leaving it half written, and without overwriting
// what someone else changed since it was read.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Writes through a temporary file in the same directory and a rename, so the file is at
 * every moment either the old or the new one; keeps the mode bits (and the owner, when run
 * as root). Refuses, with the reason, when the file changed or went away since it was read
 * (`expected`), or is read-only (its owner may not write it), or has other hard links (they
 * would keep the old text). A symbolic link given by name stays a link: its target is
 * written. Returns null when written, else why not.
 */
export function writeSafely(file: string, expected: Buffer, output: Buffer): string | null {
  let target: string;
  let current: Buffer;
  let stat: fs.Stats;
  try {
    target = fs.realpathSync(file);
    stat = fs.statSync(target);
    current = fs.readFileSync(target);
  } catch (err) {
    return `not written: the file disappeared during the run (${describe(err)})`;
  }
  if (!stat.isFile()) return "not written: the path is no longer a regular file";
  if (!current.equals(expected)) return "not written: the file changed on disk during the run";
  // A rename gives the name a new inode: the file's other hard links would keep the old text.
  // Writing in place would keep them, but could leave a half-written file after a crash.
  if (stat.nlink > 1) {
    const others = stat.nlink - 1;
    return `not written: the file has ${stat.nlink} hard links, and a rewrite would leave the other ${others === 1 ? "one" : others} with the old text (spawnsafe replaces a file whole, never in place); give it a single name first (cp FILE tmp && mv tmp FILE), or fix every name by hand`;
  }
  const mode = stat.mode & 0o7777;
  // Read-only is the owner's write bit (a Perforce checkout, a generated file: 0444, 0464),
  // the owner's decision even for root and for a group that may write.
  const octal = mode.toString(8).padStart(4, "0");
  if ((mode & 0o200) === 0) return `not written: the file is read-only (mode ${octal})`;
  if (!writable(target)) return `not written: no permission to write the file (mode ${octal})`;
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.spawnsafe-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    // "wx": never reuse or follow an existing path at the temporary name.
    fd = fs.openSync(temp, "wx", 0o600);
  } catch (err) {
    return `not written: cannot create a temporary file in ${dir} (${describe(err)})`;
  }
  try {
    try {
      fs.writeFileSync(fd, output);
      // On disk before the rename: after a crash the file is the old one or the whole new
      // one, never a new name for blocks not yet written.
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (process.getuid?.() === 0) fs.chownSync(temp, stat.uid, stat.gid);
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
    return null;
  } catch (err) {
    try {
      fs.unlinkSync(temp);
    } catch {
      /* already gone */
    }
    return `not written: ${describe(err)}`;
  }
}

/** Whether the user may write the file (or create files in the folder). */
export function writable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.syscall ? ` on ${e.syscall}` : ""}` : String(err);
}
