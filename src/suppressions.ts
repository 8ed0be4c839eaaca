// `# spawnsafe: ignore[CODE]` comments: which codes each line silences.
import type { ModuleFacts } from "./python/module";

export interface Suppression {
  start: number;
  end: number;
  /** The codes it names; empty for a bare `# spawnsafe: ignore`. */
  codes: Set<string>;
  used: Set<string>;
}

/** `# spawnsafe: ignore[SPS101, SPS102]` or a bare `# spawnsafe: ignore`, in comments only, by line. */
export function suppressionsOf(module: ModuleFacts): Map<number, Suppression> {
  const byLine = new Map<number, Suppression>();
  if (!module.text.includes("spawnsafe:")) return byLine;
  for (const comment of module.root.descendantsOfType("comment")) {
    const m = /#\s*spawnsafe:\s*ignore(?:\[([^\]]*)\])?/.exec(comment.text);
    if (!m) continue;
    const codes = m[1] ? m[1].split(",").map((c) => c.trim().toUpperCase()).filter(Boolean) : [];
    byLine.set(module.lines.position(comment.startIndex).line, { start: comment.startIndex, end: comment.endIndex, codes: new Set(codes), used: new Set() });
  }
  return byLine;
}

/** True when a suppression on `line` silences `code`. */
export function silences(suppressions: Map<number, Suppression>, line: number, code: string): boolean {
  const s = suppressions.get(line);
  return !!s && (s.codes.size === 0 || s.codes.has(code));
}
