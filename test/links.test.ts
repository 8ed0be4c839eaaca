// Every relative link in README.md and docs/ leads somewhere (issue 21): the file or folder
// exists, and a #anchor names a heading of the page it points to, as GitHub makes anchors.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./fixture-cases";

/** The Markdown outside fenced code blocks and inline code, line by line (blanked, so line numbers stay). */
function prose(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split("\n").map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return "";
    }
    return fence !== null ? "" : line.replace(/`+[^`]*`+/g, (code) => " ".repeat(code.length));
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      continue;
    }
    const heading = fence === null ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line) : null;
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The broken relative links of one Markdown file (`file` relative to the repository), as `file:line: target (why)`. */
export function brokenLinks(file: string, markdown: string, root = REPO_ROOT): string[] {
  const broken: string[] = [];
  prose(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1].replace(/^<|>$/g, "");
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [rawPath, anchor] = target.split("#", 2) as [string, string | undefined];
      const where = `${file}:${i + 1}: ${target}`;
      if (rawPath === "") {
        if (anchor !== undefined && !anchorsOf(markdown).has(anchor)) broken.push(`${where} (no heading makes #${anchor})`);
        continue;
      }
      const resolved = path.join(root, path.dirname(file), decodeURIComponent(rawPath));
      if (!fs.existsSync(resolved)) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith(".md")) broken.push(`${where} (an anchor into a file that is not Markdown)`);
      else if (!anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${where} (no heading makes #${anchor})`);
    }
  });
  return broken;
}

function pages(): string[] {
  const docs = fs.readdirSync(path.join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
  return ["README.md", ...docs.sort()];
}

test("every relative link in README.md and docs/ resolves, #anchors included", () => {
  const broken = pages().flatMap((file) => brokenLinks(file, fs.readFileSync(path.join(REPO_ROOT, file), "utf8")));
  assert.deepEqual(broken, []);
});

test("README.md and docs/ link to each other: every page of docs/ is reachable from the README", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  for (const page of pages().slice(1)) {
    assert.ok(readme.includes(`](${page})`) || readme.includes(`](${page}#`), `${page} is not linked from README.md`);
  }
});

test("the README stays short: at most about 200 lines", () => {
  const lines = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8").split("\n").length;
  assert.ok(lines <= 210, `README.md has ${lines} lines`);
});

test("the link checker sees a missing file, a missing anchor, and skips code", () => {
  const page = [
    "# Title",
    "## The `cache`: kept",
    "[ok](#the-cache-kept) [ok](README.md) [ok](docs/) [ok](https://example.com/x#y)",
    "[gone](nowhere.md) [bad anchor](#nope) [bad](README.md#no-such-heading)",
    "`[code](not-checked.md)`",
    "```",
    "[fenced](not-checked-either.md)",
    "## Not a heading inside a fence",
    "```",
  ].join("\n");
  assert.deepEqual(brokenLinks("page.md", page).map((b) => b.split(": ")[1]), [
    "nowhere.md (no such file)",
    "#nope (no heading makes #nope)",
    "README.md#no-such-heading (no heading makes #no-such-heading)",
  ]);
  assert.deepEqual([...anchorsOf("# A\n## A\n```\n# B\n```\n## C: d, e\n")], ["a", "a-1", "c-d-e"]);
});
