// The one place that creates the tree-sitter parser and turns a file's bytes into text and back.
import { isUtf8 } from "node:buffer";
import type Parser from "tree-sitter";
import { CodecError, decodeIn, lookupCodec } from "./codecs";

export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

let parser: Parser | null = null;

/** A carriage return not followed by a line feed: a line break for CPython, not for tree-sitter. */
const LONE_CR = /\r(?!\n)/g;

export function parsePython(text: string): Tree {
  parser ??= createParser();
  // tree-sitter's default buffer is 32 KiB; give it enough for large generated modules.
  const options = { bufferSize: Math.max(32 * 1024, text.length * 2 + 1) };
  if (!text.includes("\r") || !LONE_CR.test(text)) return parser.parse(text, undefined, options);
  // CPython ends a line at a lone CR (old Mac line endings); tree-sitter's grammar does not.
  // It parses a copy of the same length with each lone CR read as LF, so that every index
  // and row matches the text, and the tree's nodes give the text itself, CRs and all.
  const tree = parser.parse(text.replace(LONE_CR, "\n"), undefined, options);
  if (treeTextIsSettable) (tree as Tree & { input: string }).input = text;
  return tree;
}

/** A change of a text: the characters [start, end) replaced by `text` (src/fix/edits.ts's Edit). */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * The tree of `after`, which `edits` (indices into `before`) made from `before`, whose tree is
 * `old`: tree-sitter is told what changed and reads again only the nodes the edits touch (a
 * line inserted into a 12 MB module costs milliseconds, not seconds). `old` is edited in place,
 * or, with `keepOld`, a copy of it (an incremental parse of the same text, which reuses every
 * node). When the edits do not account for every character of `after` outside them, or a
 * text has a lone CR (parsed from a copy of another text), `after` is parsed whole.
 */
export function reparsePython(before: string, old: Tree, after: string, edits: readonly TextEdit[], keepOld: boolean): Tree {
  const regions = changedRegions(before, after, edits);
  if (!regions || /\r(?!\n)/.test(before) || /\r(?!\n)/.test(after)) return parsePython(after);
  parser ??= createParser();
  // A buffer of 64 Ki characters, not the whole text: tree-sitter reads only around what changed, and each jump fills it anew.
  const base = keepOld ? parser.parse(before, old, { bufferSize: REPARSE_BUFFER }) : old;
  // Last region first: each edit is told in the coordinates of a text whose earlier part is still `before`'s.
  for (const r of [...regions].reverse()) base.edit(r);
  return parser.parse(after, base, { bufferSize: REPARSE_BUFFER });
}

const REPARSE_BUFFER = 64 * 1024;

type Point = { row: number; column: number };
type Region = Parser.Edit;

/**
 * The edits as tree-sitter's, in order, touching or overlapping ones merged (indices and
 * columns in UTF-16 units, as node-tree-sitter takes them); null when the text between them
 * is not the same in both texts.
 */
function changedRegions(before: string, after: string, edits: readonly TextEdit[]): Region[] | null {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Array<{ start: number; end: number; delta: number }> = [];
  for (const e of sorted) {
    if (e.start < 0 || e.end < e.start || e.end > before.length) return null;
    const last = merged[merged.length - 1];
    if (last && e.start <= last.end) {
      last.end = Math.max(last.end, e.end);
      last.delta += e.text.length - (e.end - e.start);
    } else merged.push({ start: e.start, end: e.end, delta: e.text.length - (e.end - e.start) });
  }
  if (merged.length === 0 || before.length + merged.reduce((n, m) => n + m.delta, 0) !== after.length) return null;
  const regions: Region[] = [];
  const rowOf = rowCounter(before);
  let shift = 0;
  let from = 0;
  for (const m of merged) {
    if (before.slice(from, m.start) !== after.slice(from + shift, m.start + shift)) return null;
    const startPosition = rowOf(m.start);
    regions.push({
      startIndex: m.start,
      oldEndIndex: m.end,
      newEndIndex: m.end + m.delta,
      startPosition,
      oldEndPosition: advance(startPosition, before, m.start, m.end),
      newEndPosition: advance(startPosition, after, m.start + shift, m.end + shift + m.delta),
    });
    shift += m.delta;
    from = m.end;
  }
  if (before.slice(from) !== after.slice(from + shift)) return null;
  return regions;
}

/** Where `text`'s characters [from, to) end when they start at `point`. */
function advance(point: Point, text: string, from: number, to: number): Point {
  let row = point.row;
  let lineStart = -1;
  for (let nl = text.indexOf("\n", from); nl >= 0 && nl < to; nl = text.indexOf("\n", nl + 1)) {
    row++;
    lineStart = nl + 1;
  }
  return lineStart < 0 ? { row, column: point.column + (to - from) } : { row, column: to - lineStart };
}

/** The row and column of each index of `text`, asked in increasing order (one sweep of the text). */
function rowCounter(text: string): (index: number) => Point {
  let row = 0;
  let lineStart = 0;
  let counted = 0;
  return (index) => {
    for (let nl = text.indexOf("\n", counted); nl >= 0 && nl < index; nl = text.indexOf("\n", nl + 1)) {
      row++;
      lineStart = nl + 1;
    }
    counted = Math.max(counted, index);
    return { row, column: index - lineStart };
  };
}

/** node-tree-sitter reads a node's text from its tree's `input`: checked once when the parser is made. */
let treeTextIsSettable = false;

function treeTextCanBeSet(parser: Parser): boolean {
  const tree = parser.parse("a\nb") as Tree & { input?: unknown };
  if (tree.input !== "a\nb") return false;
  tree.input = "a\rb";
  return tree.rootNode.text === "a\rb" && tree.rootNode.firstChild?.text === "a";
}

/**
 * A node's id and start index, read from the fields node-tree-sitter keeps on each node
 * object (its id in slots 0-1, its start byte of the UTF-16 text in slot 2) instead of
 * asking the native tree, which costs as much as parsing a dozen bytes. The analysis reads
 * them more than anything else. Checked against the getters once at load; should a
 * version of the binding lay nodes out differently, the getters are used.
 */
export let nodeId: (node: SyntaxNode) => number = (node) => node.id;
export let nodeStart: (node: SyntaxNode) => number = (node) => node.startIndex;

type Slots = SyntaxNode & Record<number, number>;
const fastId = (node: SyntaxNode) => (node as Slots)[0] + (node as Slots)[1] * 4294967296;
const fastStart = (node: SyntaxNode) => (node as Slots)[2] / 2;

function fastAccessorsAgree(parser: Parser): boolean {
  const sample = parser.parse('x = "é😀"\nclass C:\n    def f(self, a=1):\n        return [a for a in "ü"]\n');
  const nodes: SyntaxNode[] = [];
  const visit = (node: SyntaxNode) => {
    nodes.push(node);
    node.children.forEach(visit);
  };
  visit(sample.rootNode);
  return nodes.every((n) => typeof (n as Slots)[2] === "number" && fastId(n) === n.id && fastStart(n) === n.startIndex);
}

/**
 * The native addon and the grammar are loaded at the first parse, not with this module: a
 * run whose results all come from the cache parses nothing and starts faster without them.
 */
function createParser(): Parser {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const TreeSitter = require("tree-sitter") as typeof Parser;
  const created = new TreeSitter();
  created.setLanguage(require("tree-sitter-python") as Parser.Language);
  treeTextIsSettable = treeTextCanBeSet(created);
  if (fastAccessorsAgree(created)) {
    nodeId = fastId;
    nodeStart = fastStart;
  }
  return created;
}

/** How a file's text maps back to its bytes, so that every byte outside an edit survives. */
export interface Encoding {
  /** CPython's name of the codec the file is read in: "utf_8", or what its coding cookie names ("latin_1", "shift_jis", ...). */
  codec: string;
  bom: boolean;
  /** The encoding named by the file's coding cookie, if any. */
  cookie: string | null;
  /** For a codec other than UTF-8: writes an edited text back (src/codecs.ts). */
  writeBack?: (after: string) => Buffer;
}

export interface Decoded {
  text: string;
  encoding: Encoding;
}

export class DecodeError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(message);
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
// PEP 263: a comment on line 1 or 2 matching this regex declares the encoding.
const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

function codingCookie(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 1024).toString("latin1");
  const lines = head.split(/\r\n|\r|\n/, 2);
  for (let i = 0; i < lines.length; i++) {
    const match = CODING_COOKIE.exec(lines[i]);
    if (match) return match[1].toLowerCase();
    // The cookie may sit on line 2 only when line 1 is a comment or blank.
    if (!/^[ \t\f]*(#.*)?$/.test(lines[i])) break;
  }
  return null;
}

/**
 * What decodeSource accepts, told without building the text: NUL-free, valid UTF-8 or in a
 * codec its cookie names that CPython knows (the bytes of such a file are checked only when
 * it is decoded: a file that is never analysed need not be).
 */
export function isDecodable(bytes: Buffer): boolean {
  const bom = bytes.subarray(0, 3).equals(UTF8_BOM);
  const body = bom ? bytes.subarray(3) : bytes;
  if (body.indexOf(0) >= 0) return false;
  const cookie = codingCookie(body);
  const codec = cookie === null ? null : lookupCodec(cookie);
  if (cookie !== null && codec?.kind !== "utf-8") return !bom && codec !== null && codec.kind !== "not-text";
  return isUtf8(body);
}

/**
 * Decodes a Python source file as CPython does: UTF-8, or the codec its coding cookie names
 * (src/codecs.ts), read with the codec's real decoder so that a multi-byte character whose
 * trail byte equals a backslash or a quote stays one character.
 */
export function decodeSource(bytes: Buffer): Decoded {
  const bom = bytes.subarray(0, 3).equals(UTF8_BOM);
  const body = bom ? bytes.subarray(3) : bytes;
  // CPython refuses a NUL byte anywhere in source: a binary file (or UTF-16) named .py.
  const nul = body.indexOf(0);
  if (nul >= 0) {
    const { line, column } = positionOfByte(body, nul);
    throw new DecodeError("source code cannot contain NUL bytes (a binary file?)", line, column);
  }
  const cookie = codingCookie(body);
  const codec = cookie === null ? null : lookupCodec(cookie);
  if (cookie !== null && codec?.kind !== "utf-8") {
    // CPython's own words for the files it refuses.
    if (codec === null) throw new DecodeError(`unknown encoding: ${cookie}`, 1, 1);
    if (codec.kind === "not-text") throw new DecodeError(`'${cookie}' is not a text encoding`, 1, 1);
    if (bom) throw new DecodeError(`encoding problem: ${cookie} with a UTF-8 BOM`, 1, 1);
    if (codec.kind === "unsupported") throw new DecodeError(`spawnsafe cannot read source encoded in ${codec.name} (a coding cookie names it); file left untouched`, 1, 1);
    try {
      const { text, writeBack } = decodeIn(codec, body);
      return { text, encoding: { codec: codec.name, bom, cookie, writeBack } };
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      const { line, column } = positionOfByte(body, err.byteOffset);
      throw new DecodeError(err.message, line, column);
    }
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(body);
    return { text, encoding: { codec: "utf_8", bom, cookie } };
  } catch {
    const { line, column } = firstInvalidUtf8(body);
    throw new DecodeError("not valid UTF-8 and no coding cookie declares another encoding", line, column);
  }
}

/** Line and column (in bytes) of a byte; a line ends after CR LF, a lone CR, or LF. */
function positionOfByte(bytes: Buffer, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

function firstInvalidUtf8(bytes: Buffer): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >> 5 === 0x6 ? 1 : b >> 4 === 0xe ? 2 : b >> 3 === 0x1e ? 3 : -1;
    let ok = need >= 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) ok = bytes[i + k] >> 6 === 0x2;
    if (!ok) return { line, column: i - lineStart + 1 };
    if (b === 0x0a) {
      line++;
      lineStart = i + 1;
    }
    i += need + 1;
  }
  return { line, column: 1 };
}

/** The bytes of an edited text: UTF-8 (with the BOM it had), or written back in the file's codec. Throws DecodeError. */
export function encodeSource(text: string, encoding: Encoding): Buffer {
  if (encoding.writeBack) {
    try {
      return encoding.writeBack(text);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      throw new DecodeError(`${err.message}; file left untouched`, 1, 1);
    }
  }
  const body = Buffer.from(text, "utf8");
  return encoding.bom ? Buffer.concat([UTF8_BOM, body]) : body;
}

/** The first node of a tree that makes it invalid (an ERROR or a MISSING node), or null. */
export function firstSyntaxError(tree: Tree): SyntaxNode | null {
  const root = tree.rootNode;
  if (!root.hasError) return null;
  const visit = (node: SyntaxNode): SyntaxNode | null => {
    if (node.isError || node.isMissing) return node;
    if (!node.hasError) return null;
    for (const child of node.children) {
      const found = visit(child);
      if (found) return found;
    }
    return null;
  };
  return visit(root) ?? root;
}

/**
 * A Python 2 `print` or `exec` statement, which tree-sitter's grammar still reads but CPython 3
 * rejects: the file is CPython's to judge, as for a syntax error. Looked for only when the text
 * has such a line.
 */
export function python2Statement(tree: Tree, text: string): SyntaxNode | null {
  if (!python2Line(text)) return null;
  // The statement starts with its keyword: the tree is asked at each such word, never walked whole (that costs more than the parse).
  for (const word of text.matchAll(/\b(?:print|exec)\b/g)) {
    const keyword = tree.rootNode.descendantForIndex(word.index!, word.index! + word[0].length);
    const statement = keyword.type === word[0] ? keyword.parent : null;
    if (statement && statement.startIndex === word.index && /^(print|exec)_statement$/.test(statement.type)) return statement;
  }
  return null;
}

/**
 * Whether a line of the text starts a statement with `print` or `exec` followed by a space and
 * an operand (`/(^|[;:])[ \t]*(print|exec)[ \t]+[^\s=(.,)\]}]/m`): the words are searched for
 * first and what stands before them looked at after, four times as fast as that expression.
 */
function python2Line(text: string): boolean {
  const words = /(?:print|exec)[ \t]+[^\s=(.,)\]}]/g;
  for (let m = words.exec(text); m; m = words.exec(text)) {
    let i = m.index - 1;
    while (i >= 0 && (text[i] === " " || text[i] === "\t")) i--;
    if (i < 0 || /[;:\n\r\u2028\u2029]/.test(text[i])) return true;
    words.lastIndex = m.index + 1;
  }
  return false;
}
