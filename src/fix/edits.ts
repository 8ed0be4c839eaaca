// Edits as ranges of the original text; choosing the fixes of one pass; applying them.
import type MagicString from "magic-string";

/**
 * How sure spawnsafe is that a fix keeps the program working (ruff's fix applicability):
 * "safe": shown to keep it working; "unsafe": spawnsafe cannot tell.
 */
export type Applicability = "safe" | "unsafe";

/** Replace text[start, end) with `text`; start === end inserts. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

export function insert(at: number, text: string): Edit {
  return { start: at, end: at, text };
}

export function replace(start: number, end: number, text: string): Edit {
  return { start, end, text };
}

function sameEdit(a: Edit, b: Edit): boolean {
  return a.start === b.start && a.end === b.end && a.text === b.text;
}

/** Two edits collide when their ranges overlap, or an insertion touches the other's range. */
function collide(a: Edit, b: Edit): boolean {
  if (sameEdit(a, b)) return false;
  if (a.start === a.end || b.start === b.end) {
    return a.start <= b.end && b.start <= a.end;
  }
  return a.start < b.end && b.start < a.end;
}

/**
 * Picks the fixes one pass applies: in order of their first edit, a fix is taken whole
 * when none of its edits collides with an edit already taken; the rest wait for the next
 * pass (their findings are reported again on the new text). An edit identical to one
 * already taken is shared (two fixes adding the same import). A fix with no edits is one
 * that another fix of the pass must make possible first: it is never taken, and its finding,
 * reported again on the new text, brings its real edits then.
 */
export function chooseFixes<F extends { edits: Edit[] }>(fixes: F[]): F[] {
  const ordered = [...fixes].sort((a, b) => firstStart(a) - firstStart(b));
  const taken: Edit[] = [];
  const chosen: F[] = [];
  for (const fix of ordered) {
    if (fix.edits.length === 0) continue;
    if (fix.edits.some((e) => taken.some((t) => collide(e, t)))) continue;
    taken.push(...fix.edits.filter((e) => !taken.some((t) => sameEdit(e, t))));
    chosen.push(fix);
  }
  return chosen;
}

function firstStart(fix: { edits: Edit[] }): number {
  return Math.min(...fix.edits.map((e) => e.start));
}

/** Applies non-colliding edits; insertions at one index keep the order they are given in. */
export function applyEdits(text: string, edits: Edit[]): string {
  // Loaded when a fix is applied, not with the engine: most runs apply none.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { default: Magic } = require("magic-string") as { default: typeof MagicString };
  const s = new Magic(text);
  const unique: Edit[] = [];
  for (const e of edits) if (!unique.some((u) => sameEdit(u, e))) unique.push(e);
  for (const e of unique) {
    if (e.start === e.end) s.appendLeft(e.start, e.text);
    else if (e.text === "") s.remove(e.start, e.end);
    else s.overwrite(e.start, e.end, e.text);
  }
  return s.toString();
}

/**
 * Where an index of the text `applyEdits(text, edits)` gives was in `text`: exact outside the
 * edits, and `null` inside text an edit wrote (it was nowhere in the original).
 */
export function backMap(edits: Edit[]): (index: number) => number | null {
  const unique: Edit[] = [];
  for (const e of edits) if (!unique.some((u) => sameEdit(u, e))) unique.push(e);
  // Insertions at one index keep their order, as applyEdits writes them.
  const ordered = unique.map((e, order) => ({ e, order })).sort((a, b) => a.e.start - b.e.start || a.order - b.order).map((x) => x.e);
  return (index) => {
    let shift = 0;
    for (const e of ordered) {
      const from = e.start + shift;
      if (index < from) break;
      if (index < from + e.text.length) return null;
      shift += e.text.length - (e.end - e.start);
    }
    return index - shift;
  };
}
