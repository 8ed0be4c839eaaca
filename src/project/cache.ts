// Results of files that did not change since the last run, kept between runs (as ruff and
// black keep theirs), one cache file per project root in the user's cache folder.
//
// A file's result depends on its bytes, on how it is treated (options, role evidence, its
// place in the project) and on the project's functions that start processes. So a result is
// kept under the file's stat (size, mtime, ctime, inode: any write changes one of them) and
// a key of everything else the engine is given; the project's functions are kept under the
// stat of every file of the project, and when one changed, the model is built again and only
// the files whose view of it changed are processed again. A cache written by another build
// of spawnsafe is not read, nor one with a field of the wrong type (src/project/cache-shape.ts).
// A cache that cannot be read or written is no cache: the run goes on without it.
import { createHash, hash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FileResult } from "../engine";
import type { Project } from "./project";
import type { ProjectExports } from "./project-exports";
import { isCacheFile } from "./cache-shape";

/** What is kept of a result: never the texts or bytes of a changed file (those are not cached). */
type Kept = Pick<FileResult, "path" | "decision" | "findings" | "error" | "passes" | "starts" | "aliases" | "skipped" | "program" | "reaches" | "deferred" | "projectCalls">;

interface FileEntry {
  stat: string;
  /** By key (how the file was treated): the result. The last few keys only. */
  results: Record<string, Kept>;
}

interface CacheFile {
  tool: string;
  root: string;
  model: { key: string; exports: ProjectExports } | null;
  files: Record<string, FileEntry>;
}

/** Keys kept per file: a run and its first round, and a couple of other settings. */
const KEYS_PER_FILE = 4;

/**
 * A file changed less than this long before it was looked at may change again within the
 * same timestamp tick (a second or two on some file systems), unseen by its stat: it is not
 * cached (git calls such entries racily clean).
 */
const RACY_MS = 2000;

/** `$SPAWNSAFE_CACHE_DIR`, else `$XDG_CACHE_HOME/spawnsafe`, else `~/.cache/spawnsafe`. */
export function defaultCacheDir(): string {
  if (process.env.SPAWNSAFE_CACHE_DIR) return path.resolve(process.env.SPAWNSAFE_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache");
  return path.join(base, "spawnsafe");
}

export class ResultCache {
  private readonly stats = new Map<string, string | null>();
  private readonly caches = new Map<string, CacheFile>();
  private readonly changed = new Set<string>();
  private readonly now = Date.now();

  constructor(private readonly dir: string) {}

  /**
   * The stat of a file as the cache knows it, taken once per run (before the file is read,
   * so that a write in between makes the next run look again); null when it cannot be
   * trusted (missing, or changed within the last RACY_MS).
   */
  statOf(file: string): string | null {
    let known = this.stats.get(file);
    if (known !== undefined) return known;
    try {
      const s = fs.statSync(file);
      known = this.now - s.mtimeMs < RACY_MS ? null : `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
    } catch {
      known = null;
    }
    this.stats.set(file, known);
    return known;
  }

  /** The project's starting functions as kept, if none of its `files` changed since. */
  model(project: Project, files: string[]): ProjectExports | null {
    const key = this.modelKey(project, files);
    const model = this.load(project.root).model;
    return key !== null && model?.key === key && model.exports ? model.exports : null;
  }

  setModel(project: Project, files: string[]): void {
    const { root, exports } = project;
    const key = this.modelKey(project, files);
    const cache = this.load(root);
    if (key === null || cache.model?.key === key) return;
    cache.model = { key, exports };
    this.changed.add(root);
  }

  get(root: string, file: string, key: string): FileResult | null {
    const stat = this.statOf(file);
    const entry = this.load(root).files[file];
    const kept = stat !== null && entry?.stat === stat ? entry.results[key] : undefined;
    if (!kept) return null;
    return { ...kept, findings: kept.findings.map((f) => ({ ...f })), before: "", after: "", output: null };
  }

  /** Keeps an unchanged file's result (a changed file is written, and so changes). */
  set(root: string, file: string, key: string, result: FileResult): void {
    const stat = this.statOf(file);
    if (stat === null || result.output) return;
    const cache = this.load(root);
    let entry = cache.files[file];
    if (entry?.stat !== stat) cache.files[file] = entry = { stat, results: {} };
    if (key in entry.results) return;
    const { path: shown, decision, findings, error, passes, starts, aliases, skipped, program, reaches, deferred, projectCalls } = result;
    entry.results[key] = {
      path: shown, decision, findings, error, passes,
      ...(starts ? { starts } : {}), ...(aliases ? { aliases } : {}), ...(skipped ? { skipped } : {}), ...(program ? { program } : {}), ...(reaches ? { reaches } : {}),
      ...(deferred ? { deferred } : {}), ...(projectCalls ? { projectCalls } : {}),
    };
    const keys = Object.keys(entry.results);
    for (const old of keys.slice(0, Math.max(0, keys.length - KEYS_PER_FILE))) delete entry.results[old];
    this.changed.add(root);
  }

  /**
   * Writes what changed, each cache file replaced whole (a concurrent run's is then
   * overwritten, never mixed), without the entries of files that no longer exist.
   */
  save(): void {
    for (const root of this.changed) {
      const cache = this.caches.get(root)!;
      // Files of other runs stay (a run may cover part of a project); deleted ones go.
      for (const kept of Object.keys(cache.files)) if (this.stats.get(kept) == null && !fs.existsSync(kept)) delete cache.files[kept];
      const file = this.fileOf(root);
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        if (!makeDirectory(this.dir)) break;
        fs.writeFileSync(temporary, JSON.stringify(cache));
        fs.renameSync(temporary, file);
      } catch {
        try {
          fs.rmSync(temporary, { force: true });
        } catch {
          /* the folder itself is unusable: nothing was written */
        }
      }
    }
    this.changed.clear();
  }

  /** What the model is found from: the files (by stat), where module names start, and the working directory (chains name files relative to it). */
  private modelKey(project: Project, files: string[]): string | null {
    const digest = createHash("sha1").update(`${process.cwd()}\0${project.root}\0${project.sourceRoots.join("\0")}\0\0`);
    for (const file of files) {
      const stat = this.statOf(file);
      if (stat === null) return null;
      digest.update(`${file}\0${stat}\0`);
    }
    return digest.digest("hex");
  }

  private fileOf(root: string): string {
    return path.join(this.dir, `${hash("sha1", root, "hex")}.json`);
  }

  private load(root: string): CacheFile {
    let cache = this.caches.get(root);
    if (cache) return cache;
    try {
      const read = JSON.parse(fs.readFileSync(this.fileOf(root), "utf8")) as CacheFile;
      // Valid JSON of another shape (a field of the wrong type anywhere) is no cache either.
      if (isCacheFile(read) && read.tool === toolStamp() && read.root === root) cache = read;
    } catch {
      /* no cache yet, or a broken one: start afresh */
    }
    cache ??= { tool: toolStamp(), root, model: null, files: {} };
    this.caches.set(root, cache);
    return cache;
  }
}

/**
 * Makes `dir` and the folders missing above it, one at a time; false at the first that
 * cannot be made. (Node's recursive mkdirSync never returns for a path under /proc, where
 * mkdir fails with ENOENT although the parent exists.)
 */
function makeDirectory(dir: string): boolean {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) return false;
  }
  try {
    for (const d of missing) fs.mkdirSync(d);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

let stamp: string | null = null;

/**
 * Which build of spawnsafe wrote a cache: the size and modification time of every compiled
 * file (a rebuild or an upgrade changes the results it gives) and the parser's versions.
 */
export function toolStamp(): string {
  if (stamp) return stamp;
  const digest = createHash("sha1");
  const dist = path.resolve(__dirname, "..", "..");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".js")) {
        const s = fs.statSync(full);
        digest.update(`${path.relative(dist, full)}\0${s.size}\0${s.mtimeMs}\0`);
      }
    }
  };
  for (const part of ["src", "transforms"]) walk(path.join(dist, part));
  for (const pkg of ["tree-sitter", "tree-sitter-python"]) {
    const manifest = JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string };
    digest.update(`${pkg}@${manifest.version}\0`);
  }
  return (stamp = digest.digest("hex"));
}
