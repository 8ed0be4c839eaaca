// Where a project's code (its tests, mostly) patches a default-context factory by name:
// `mock.patch("pkg.mod.multiprocessing.Queue")`, `patch.object(multiprocessing, "Queue")`,
// `monkeypatch.setattr("pkg.mod.Pool", ...)`. The patch replaces the attribute the call looks
// up; a call rewritten to `get_context("spawn").Queue(...)` no longer looks it up, and the
// test that relied on the patch fails. Told from the text: a superset is fine, since a patch
// found here only makes that rewrite an unsafe fix, and never makes one safe.
import { CONTEXT_FACTORIES } from "../python/vocabulary";

/** The patched qualified name and the line of the patch. */
export interface Patch {
  target: string;
  line: number;
}

// `patch("a.b.Queue"`, `mock.patch('a.b.Queue'`, `mocker.patch("...")`, `monkeypatch.setattr("a.b.Queue", ...)`.
const BY_STRING = /\b(?:patch|setattr)\(\s*(?:target\s*=\s*)?(['"])([\w.]+)\1/g;
// `patch.object(multiprocessing, "Queue"`, `monkeypatch.setattr(mod.multiprocessing, "Queue", ...)`.
const BY_OBJECT = /\b(?:patch\.object|setattr)\(\s*([\w.]+)\s*,\s*(['"])(\w+)\2/g;

/** Whether the bytes (searched without decoding) or the text may hold a patch of a factory. */
export function mayPatch(source: Buffer | string): boolean {
  return source.includes("multiprocessing") && (source.includes("patch") || source.includes("setattr"));
}

/** The patches of default-context factories the text writes. */
export function patchesIn(text: string): Patch[] {
  const found: Patch[] = [];
  const lineOf = (at: number) => text.slice(0, at).split("\n").length;
  for (const m of text.matchAll(BY_STRING)) {
    if (CONTEXT_FACTORIES.has(m[2].split(".").pop()!) && m[2].includes(".")) found.push({ target: m[2], line: lineOf(m.index!) });
  }
  for (const m of text.matchAll(BY_OBJECT)) {
    if (CONTEXT_FACTORIES.has(m[3])) found.push({ target: `${m[1]}.${m[3]}`, line: lineOf(m.index!) });
  }
  return found;
}
