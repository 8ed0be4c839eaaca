// Path arithmetic on the hot paths of a run (thousands of files): the common case, a file
// inside a folder, is a string slice; anything else is left to node's path module.
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * `to` relative to `from` ("" when they are the same) when it is below `from`, else null; for
 * absolute normalised paths (path.resolve's). A slice: path.relative resolves both paths
 * first, a dozen times slower.
 */
export function pathInside(from: string, to: string): string | null {
  if (to === from) return "";
  const prefix = from.endsWith(path.sep) ? from : from + path.sep;
  return to.startsWith(prefix) ? to.slice(prefix.length) : null;
}

/** Whether a folder is a package: it holds an __init__.py. */
export function hasInitPy(dir: string): boolean {
  return fs.existsSync(path.join(dir, "__init__.py"));
}

/** hasInitPy with each folder looked up once: for one run, whose folders do not change under it. */
export function packageDirLookup(): (dir: string) => boolean {
  const known = new Map<string, boolean>();
  return (dir) => {
    let is = known.get(dir);
    if (is === undefined) known.set(dir, (is = hasInitPy(dir)));
    return is;
  };
}
