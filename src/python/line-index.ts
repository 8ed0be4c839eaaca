// Positions, lines and indentation of a module's text.

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column, in characters. */
  column: number;
}

export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    if (!text.includes("\r")) {
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  position(index: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - this.starts[lo] + 1 };
  }

  /** Index of the first character of the line holding `index`. */
  lineStart(index: number): number {
    return this.starts[this.position(index).line - 1];
  }

  /** Index just past the end of the line holding `index`, its line break included. */
  lineEnd(index: number): number {
    const line = this.position(index).line;
    return line < this.starts.length ? this.starts[line] : this.text.length;
  }

  /** Start indices of the lines from the one holding `from` to the one holding `to`. */
  lineStartsBetween(from: number, to: number): number[] {
    const first = this.position(from).line - 1;
    const last = this.position(to).line - 1;
    return this.starts.slice(first, last + 1);
  }

  /**
   * The indentation of the line holding `index`, as CPython counts it: the spaces and tabs
   * that open the line, after the last form feed among them (a form feed resets CPython's
   * column count, so the whitespace before it does not indent the line).
   */
  indentAt(index: number): string {
    const start = this.lineStart(index);
    const leading = /^[ \t\f]*/.exec(this.text.slice(start, start + 200))![0];
    return leading.slice(leading.lastIndexOf("\f") + 1);
  }

  /** Where the indentation of the line holding `index` begins: after the form feeds that open it, if any. */
  indentStart(index: number): number {
    const start = this.lineStart(index);
    const leading = /^[ \t\f]*/.exec(this.text.slice(start, start + 200))![0];
    return start + leading.lastIndexOf("\f") + 1;
  }

  /** True when only whitespace stands between the start of its line and `index`. */
  startsLine(index: number): boolean {
    return /^[ \t\f]*$/.test(this.text.slice(this.lineStart(index), index));
  }
}

/** The file's line break: the first one in it, "\n" when there is none. */
export function lineBreakOf(text: string): string {
  const match = /\r\n|\r|\n/.exec(text);
  return match ? match[0] : "\n";
}

/** The file's indent unit: a tab, or the smallest indent of an indented line; four spaces when none. */
export function indentUnitOf(text: string): string {
  let smallest = 0;
  const re = /(?:^|\n)([ \t]+)\S/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const indent = m[1];
    if (indent.startsWith("\t")) return "\t";
    if (smallest === 0 || indent.length < smallest) smallest = indent.length;
    if (smallest === 1) break;
  }
  return smallest > 0 ? " ".repeat(smallest) : "    ";
}
