// A Jupyter notebook read as one Python module: its code cells joined, IPython magics
// blanked, and every line of the joined text mapped back to its cell and .ipynb line.
import { firstSyntaxError, parsePython } from "./parse";

export interface NotebookLine {
  /** 1-based ordinal of the cell among all the notebook's cells. */
  cell: number;
  /** 1-based line within the cell. */
  line: number;
  /** 1-based line of the .ipynb file holding it, or null when it cannot be placed. */
  fileLine: number | null;
}

export interface NotebookSource {
  /** The code cells, one after another. */
  text: string;
  /** Where each line of `text` comes from, by 0-based line. */
  origins: NotebookLine[];
  /** Code cells left out because they are not Python (cell magics, IPython-only syntax). */
  skippedCells: number[];
  /** The kernel's language as the notebook's metadata names it (`python`, `R`, `julia`), or null. */
  language: string | null;
}

export function isNotebook(path: string): boolean {
  return path.endsWith(".ipynb");
}

/** Reads a notebook's JSON; throws a SyntaxError when it is not a notebook. */
export function notebookSource(json: string): NotebookSource {
  const notebook = JSON.parse(json) as { cells?: unknown[]; worksheets?: unknown[]; metadata?: unknown } | null;
  if (!notebook || typeof notebook !== "object") throw new SyntaxError("not a Jupyter notebook: no cells");
  const all = Array.isArray(notebook.cells) ? notebook.cells : Array.isArray(notebook.worksheets) ? worksheetCells(notebook.worksheets) : null;
  if (!all) throw new SyntaxError("not a Jupyter notebook: no cells");
  const language = kernelLanguage(notebook.metadata);
  // Another kernel's cells are not Python: nothing in them is read.
  if (language !== null && !isPythonKernel(language)) return { text: "", origins: [], skippedCells: [], language };
  const cells = all.map((cell, index) => checkedCell(cell, index + 1));
  const fileLines = new FileLines(json);
  const out: string[] = [];
  const origins: NotebookLine[] = [];
  const skippedCells: number[] = [];
  cells.forEach((cell, index) => {
    const ordinal = index + 1;
    if (cell.cell_type !== "code") return;
    const pieces = Array.isArray(cell.source) ? cell.source : typeof cell.source === "string" ? [cell.source] : [];
    // Jupyter writes one string per line: each can be found in the file, in order. A source
    // given as one string is on one line of the file: every line of the cell is placed there.
    const placed = Array.isArray(cell.source) ? pieces.map((p) => fileLines.find(p)) : [];
    const cellStart = Array.isArray(cell.source) ? (placed.find((l) => l !== null) ?? null) : typeof cell.source === "string" ? fileLines.find(cell.source) : null;
    const lines = pieces.join("").split(/\r\n|\r|\n/);
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    // `%%bash`, `%%writefile`: the whole cell is not Python of this module.
    if (lines.length === 0 || /^\s*%%/.test(lines[0])) {
      if (lines.length > 0) skippedCells.push(ordinal);
      return;
    }
    // `%time ...`, `!pip install ...`: blanked, so that lines keep their numbers.
    const code = lines.map((l) => (/^\s*[%!]/.test(l) ? "" : l));
    if (firstSyntaxError(parsePython(code.join("\n") + "\n"))) {
      skippedCells.push(ordinal);
      return;
    }
    code.forEach((l, i) => {
      out.push(l);
      origins.push({ cell: ordinal, line: i + 1, fileLine: (pieces.length === lines.length ? placed[i] : null) ?? cellStart });
    });
  });
  return { text: out.length ? out.join("\n") + "\n" : "", origins, skippedCells, language };
}

/**
 * The cells of an nbformat 3 notebook (Jupyter still reads them): under `worksheets`, a code
 * cell's text in `input`, its language per cell (another language's cell is not Python).
 */
function worksheetCells(worksheets: unknown[]): unknown[] {
  const cells = worksheets.flatMap((w) => (w !== null && typeof w === "object" && Array.isArray((w as { cells?: unknown }).cells) ? (w as { cells: unknown[] }).cells : []));
  return cells.map((cell) => {
    if (cell === null || typeof cell !== "object" || (cell as { cell_type?: unknown }).cell_type !== "code") return cell;
    const { input, language } = cell as { input?: unknown; language?: unknown };
    const python = typeof language !== "string" || isPythonKernel(language);
    return { ...(cell as object), cell_type: python ? "code" : "other", source: input };
  });
}

/** `metadata.kernelspec.language`, else `metadata.language_info.name`, as Jupyter records the kernel. */
function kernelLanguage(metadata: unknown): string | null {
  const field = (o: unknown, key: string): unknown => (o !== null && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined);
  for (const value of [field(field(metadata, "kernelspec"), "language"), field(field(metadata, "language_info"), "name")]) {
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return null;
}

/** `python`, `Python`, `python3`, `ipython3`: a Python kernel. */
export function isPythonKernel(language: string): boolean {
  return /^i?python\d*$/i.test(language);
}

interface Cell {
  cell_type?: unknown;
  source?: string | string[];
}

/** A cell as the format has it (an object; its source a string or a list of strings), else a SyntaxError naming it. */
function checkedCell(cell: unknown, ordinal: number): Cell {
  if (cell === null || typeof cell !== "object" || Array.isArray(cell)) {
    const what = cell === null ? "null" : Array.isArray(cell) ? "a list" : `a ${typeof cell}`;
    throw new SyntaxError(`cell ${ordinal} is ${what}, not an object`);
  }
  const source = (cell as { source?: unknown }).source;
  if (source !== undefined && typeof source !== "string" && !(Array.isArray(source) && source.every((p) => typeof p === "string"))) {
    throw new SyntaxError(`cell ${ordinal}: source is not text`);
  }
  return cell as Cell;
}

/** Finds JSON-encoded strings in the file in order, as Jupyter writes them (one per line). */
class FileLines {
  private cursor = 0;
  private readonly starts: number[] = [0];

  constructor(private readonly json: string) {
    for (let i = 0; i < json.length; i++) if (json[i] === "\n") this.starts.push(i + 1);
  }

  find(piece: string): number | null {
    const at = this.json.indexOf(JSON.stringify(piece), this.cursor);
    if (at < 0) return null;
    this.cursor = at + 1;
    let line = 0;
    while (line + 1 < this.starts.length && this.starts[line + 1] <= at) line++;
    return line + 1;
  }
}
