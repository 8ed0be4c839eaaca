// Whether the files `fix` would rewrite have uncommitted changes in git, so that a rewrite
// can always be reviewed and undone with git (the rule of `cargo fix`). git runs only when a
// .git is found above the files.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

/**
 * Why git could not give a file back as it is: changed in the work tree, staged, not tracked,
 * or marked so that git does not look at it (`update-index --assume-unchanged` or
 * `--skip-worktree`: `git diff` would never show a rewrite).
 */
export type DirtyState = "modified" | "staged" | "untracked" | "assume-unchanged" | "skip-worktree";

export interface DirtyFile {
  file: string;
  state: DirtyState;
}

export type DirtyCheck = { dirty: DirtyFile[] } | { problem: string };

/** The folder holding `.git` (a directory, or a file in worktrees and submodules) at or above `dir`, or null. */
export function repositoryOf(dir: string): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, ".git"))) return d;
    if (path.dirname(d) === d) return null;
  }
}

/**
 * The files among `files` (absolute paths) that differ from the last commit: changed in the
 * work tree, staged, or not tracked at all (untracked or ignored: git could not restore them).
 * Files outside any repository are never dirty. A problem running git is returned as such.
 */
export function uncommittedChanges(files: string[]): DirtyCheck {
  const byRepo = new Map<string, string[]>();
  const repoOfDir = new Map<string, string | null>();
  for (const file of files) {
    const real = realpath(file);
    const dir = path.dirname(real);
    if (!repoOfDir.has(dir)) repoOfDir.set(dir, repositoryOf(dir));
    const repo = repoOfDir.get(dir);
    if (!repo) continue;
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), file]);
  }
  const dirty: DirtyFile[] = [];
  for (const [repo, inRepo] of byRepo) {
    let status: RepoStatus;
    try {
      status = repoStatus(repo);
    } catch (err) {
      return { problem: `cannot tell whether files in ${repo} have uncommitted changes: ${gitError(err)}` };
    }
    for (const file of inRepo) {
      const rel = path.relative(repo, realpath(file)).split(path.sep).join("/");
      const state: DirtyState | null = !status.tracked.has(rel)
        ? "untracked"
        : status.unwatched.get(rel) ?? (status.modified.has(rel) ? "modified" : status.staged.has(rel) ? "staged" : null);
      if (state) dirty.push({ file, state });
    }
  }
  return { dirty };
}

interface RepoStatus {
  tracked: Set<string>;
  modified: Set<string>;
  staged: Set<string>;
  /** Tracked files git does not look at, by path. */
  unwatched: Map<string, DirtyState>;
}

/** Three listings of the whole repository, so that no command line grows with the number of files. */
function repoStatus(repo: string): RepoStatus {
  // `-v` tags each file: a lowercase tag is assume-unchanged, `S` skip-worktree.
  const tagged = git(repo, ["ls-files", "-v", "-z", "--full-name"]).map((entry) => ({ tag: entry.slice(0, 1), file: entry.slice(2) }));
  const tracked = tagged.map((t) => t.file);
  const unwatched = new Map<string, DirtyState>();
  for (const { tag, file } of tagged) {
    if (tag === "S" || tag === "s") unwatched.set(file, "skip-worktree");
    else if (tag !== tag.toUpperCase()) unwatched.set(file, "assume-unchanged");
  }
  const modified = git(repo, ["diff", "--no-ext-diff", "--name-only", "-z"]);
  const hasHead = gitSucceeds(repo, ["rev-parse", "--verify", "--quiet", "HEAD"]);
  // Before the first commit everything in the index is staged.
  const staged = hasHead ? git(repo, ["diff", "--no-ext-diff", "--cached", "--name-only", "-z"]) : tracked;
  return { tracked: new Set(tracked), modified: new Set(modified), staged: new Set(staged), unwatched };
}

/**
 * The repository is the one found by its .git, whatever the environment says (a git hook
 * runs with GIT_DIR and GIT_INDEX_FILE set), and never one above it (when that .git is
 * broken); optional locks off, so that a concurrent git command is never blocked by this read.
 */
function gitEnv(repo: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_CEILING_DIRECTORIES: path.dirname(repo) };
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR"]) delete env[name];
  return env;
}

function git(repo: string, args: string[]): string[] {
  const out = execFileSync("git", ["-C", repo, ...args], { env: gitEnv(repo), encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
  return out.split("\0").filter(Boolean);
}

function gitSucceeds(repo: string, args: string[]): boolean {
  try {
    execFileSync("git", ["-C", repo, ...args], { env: gitEnv(repo), stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function gitError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string };
  if (e.code === "ENOENT") return "git is not installed";
  const first = (e.stderr ?? "").trim().split("\n")[0];
  return first || e.message;
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
