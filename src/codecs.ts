// The codecs CPython reads Python source in (PEP 263 coding cookies), and how spawnsafe reads a
// file in each and writes an edited text back with every byte outside the edited lines kept.
//
// - One byte a character (latin-1, cp1252, koi8_r, mac_roman, ... and EBCDIC): CPython's own
//   table of the codec (src/codecs-table.ts, generated from CPython's encodings package).
// - Several bytes a character (shift_jis, cp932, big5, gbk, gb18030, euc-jp, euc-kr, cp949,
//   iso2022_jp): Node's TextDecoder. Their trail bytes may equal ASCII characters (0x5C `\`
//   in shift_jis and big5, `"` inside iso2022_jp's escapes), so reading them one byte a
//   character would misread strings; the real decoder does not.
// - Codecs no decoder here reads (hz, johab, iso2022_kr, utf-7, utf-16, unicode_escape, ...):
//   the file is an error (CPython may read it; spawnsafe cannot), left untouched.
// - Names CPython does not know, and codecs that are not text encodings (rot13, hex): CPython
//   refuses the file, and so does spawnsafe, with CPython's words.
//
// Writing back: the edited text is compared with the original line by line; unchanged lines
// get their original bytes, changed lines are encoded (ASCII as is, other characters with
// the bytes they had in the original: spawnsafe inserts only ASCII and moves existing lines),
// and the result is decoded again and must give the edited text exactly, or the file is left
// untouched.
import type { CodecEntry } from "./codecs-table";

export type Codec =
  | { name: string; kind: "utf-8" }
  | { name: string; kind: "single-byte"; table: string }
  | { name: string; kind: "multi-byte"; label: string }
  | { name: string; kind: "unsupported" }
  | { name: string; kind: "not-text" };

/** A byte sequence the codec cannot decode, or a text it cannot encode back: where, in bytes of the body. */
export class CodecError extends Error {
  constructor(message: string, readonly byteOffset: number) {
    super(message);
  }
}

let table: typeof import("./codecs-table") | null = null;
/** The table is 40 KB: loaded for the first file with a cookie naming another codec than UTF-8. */
function codecTable(): typeof import("./codecs-table") {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (table ??= require("./codecs-table") as typeof import("./codecs-table"));
}

/**
 * The codec CPython reads a file in for the name its coding cookie gives, or null when CPython
 * knows no codec by that name ("unknown encoding"). As CPython: its tokenizer first folds
 * utf-8 and latin-1 spellings (`get_normal_name`: the first 12 characters, lower case, `_` as
 * `-`), then codecs.lookup() normalizes the name and follows encodings.aliases.
 */
export function lookupCodec(cookie: string): Codec | null {
  const folded = cookie.slice(0, 12).toLowerCase().replace(/_/g, "-");
  if (folded === "utf-8" || folded.startsWith("utf-8-")) return { name: "utf_8", kind: "utf-8" };
  if (["latin-1", "iso-8859-1", "iso-latin-1"].some((n) => folded === n || folded.startsWith(`${n}-`))) return entryCodec("latin_1");
  const { CODECS, ALIASES } = codecTable();
  const normal = normalizeEncoding(cookie.toLowerCase());
  const aliased = ALIASES[normal] ?? ALIASES[normal.replace(/\./g, "_")];
  for (const name of aliased ? [aliased, normal] : [normal]) {
    if (name && !name.includes(".") && Object.prototype.hasOwnProperty.call(CODECS, name)) return entryCodec(name);
  }
  return null;
}

/** encodings.normalize_encoding: runs of characters other than ASCII letters, digits and `.` become one `_`, none at the ends. */
function normalizeEncoding(name: string): string {
  return name
    .split(/[^a-z0-9.]+/)
    .filter((part) => part.length > 0)
    .join("_");
}

function entryCodec(name: string): Codec {
  const entry: CodecEntry = codecTable().CODECS[name];
  switch (entry.kind) {
    case "single-byte": {
      const chars = "table" in entry ? entry.table : ASCII + entry.high;
      return { name, kind: "single-byte", table: chars };
    }
    case "multi-byte":
      return { name, kind: "multi-byte", label: entry.label };
    default:
      return { name, kind: entry.kind };
  }
}

const ASCII = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join("");
/** What CPython's tables hold for a byte the codec refuses. */
const UNDEFINED = "\ufffe";

/** A file's text in its codec, and how to write an edited text back. */
export interface CodecText {
  text: string;
  /** The bytes for `after`: the original's bytes on every line that did not change. Throws CodecError. */
  writeBack(after: string): Buffer;
}

/** Decodes `body` (the file without a BOM) in `codec` (single-byte or multi-byte). Throws CodecError. */
export function decodeIn(codec: Codec, body: Buffer): CodecText {
  if (codec.kind === "single-byte") return decodeSingleByte(codec, body);
  if (codec.kind === "multi-byte") return decodeMultiByte(codec, body);
  throw new Error(`decodeIn: ${codec.kind}`);
}

function decodeSingleByte(codec: Extract<Codec, { kind: "single-byte" }>, body: Buffer): CodecText {
  const identity = codec.name === "latin_1" || codec.name === "charmap";
  let text: string;
  if (identity) text = body.toString("latin1");
  else {
    const chars = new Array<string>(body.length);
    for (let i = 0; i < body.length; i++) {
      const c = codec.table[body[i]];
      if (c === UNDEFINED) throw new CodecError(`'${codec.name}' codec can't decode byte 0x${body[i].toString(16).padStart(2, "0")}`, i);
      chars[i] = c;
    }
    text = chars.join("");
  }
  const lines = lineStarts(text);
  // One byte a character: a line's bytes start where its characters do.
  const encode = (line: string): Buffer => {
    if (identity) {
      if (/[^\x00-\xff]/.test(line)) throw new CodecError(`a character of the fix cannot be written in ${codec.name}`, 0);
      return Buffer.from(line, "latin1");
    }
    const bytes = Buffer.alloc(line.length);
    for (let i = 0; i < line.length; i++) {
      const b = reverseTable(codec).get(line[i]);
      if (b === undefined) throw new CodecError(`a character of the fix cannot be written in ${codec.name}`, 0);
      bytes[i] = b;
    }
    return bytes;
  };
  return {
    text,
    writeBack: (after) => verified(codec.name, after, spliceLines(text, body, lines, lines, after, encode), (bytes) => decodeSingleByte(codec, bytes).text),
  };
}

const reverseTables = new Map<string, Map<string, number>>();
function reverseTable(codec: Extract<Codec, { kind: "single-byte" }>): Map<string, number> {
  let reverse = reverseTables.get(codec.name);
  if (!reverse) {
    reverse = new Map();
    for (let b = 255; b >= 0; b--) if (codec.table[b] !== UNDEFINED) reverse.set(codec.table[b], b);
    reverseTables.set(codec.name, reverse);
  }
  return reverse;
}

/**
 * Several bytes a character. Line breaks (0x0A, 0x0D) are never part of a character in these
 * codecs, so the bytes are decoded line by line (one decoder, streaming, so that iso2022_jp's
 * shift state carries over), which gives where each line starts in bytes.
 */
function decodeMultiByte(codec: Extract<Codec, { kind: "multi-byte" }>, body: Buffer): CodecText {
  const decoder = new TextDecoder(codec.label, { fatal: true });
  const pieces: string[] = [];
  const charStarts = [0];
  const byteStarts = [0];
  let length = 0;
  let start = 0;
  const take = (end: number, last: boolean) => {
    let piece: string;
    try {
      piece = decoder.decode(body.subarray(start, end), { stream: !last });
    } catch {
      throw new CodecError(`'${codec.name}' codec can't decode the bytes of this line`, start);
    }
    pieces.push(piece);
    length += piece.length;
    start = end;
  };
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b !== 0x0a && b !== 0x0d) continue;
    if (b === 0x0d && body[i + 1] === 0x0a) i++;
    take(i + 1, false);
    charStarts.push(length);
    byteStarts.push(i + 1);
  }
  take(body.length, true);
  const text = pieces.join("");
  const stateful = codec.label === "iso-2022-jp";
  let learned: Map<string, Buffer> | null = null;
  const byteStartsOfLines = byteStarts;
  const charStartsOfLines = charStarts;
  /** The bytes each non-ASCII character has in the original (codecs without shift states only). */
  const charBytes = (): Map<string, Buffer> => {
    if (learned) return learned;
    learned = new Map();
    for (let line = 0; line < charStartsOfLines.length; line++) {
      const from = byteStartsOfLines[line];
      const to = line + 1 < byteStartsOfLines.length ? byteStartsOfLines[line + 1] : body.length;
      if (!body.subarray(from, to).some((b) => b >= 0x80)) continue;
      const one = new TextDecoder(codec.label, { fatal: true });
      let charFrom = from;
      for (let k = from; k < to; k++) {
        const out = one.decode(body.subarray(k, k + 1), { stream: true });
        if (out.length === 0) continue;
        if (!learned.has(out)) learned.set(out, body.subarray(charFrom, k + 1));
        charFrom = k + 1;
      }
    }
    return learned;
  };
  /** An original line's characters after its leading whitespace, and their bytes: for a moved line. */
  let bodies: Map<string, Buffer> | null = null;
  const lineBodies = (): Map<string, Buffer> => {
    if (bodies) return bodies;
    bodies = new Map();
    for (let line = 0; line < charStartsOfLines.length; line++) {
      const chars = text.slice(charStartsOfLines[line], line + 1 < charStartsOfLines.length ? charStartsOfLines[line + 1] : text.length);
      const indent = /^[ \t\f]*/.exec(chars)![0].length;
      const to = line + 1 < byteStartsOfLines.length ? byteStartsOfLines[line + 1] : body.length;
      if (!bodies.has(chars.slice(indent))) bodies.set(chars.slice(indent), body.subarray(byteStartsOfLines[line] + indent, to));
    }
    return bodies;
  };
  const encode = (line: string): Buffer => {
    if (!/[^\x00-\x7f]/.test(line)) return Buffer.from(line, "latin1");
    const indent = /^[ \t\f]*/.exec(line)![0];
    const moved = lineBodies().get(line.slice(indent.length));
    if (moved) return Buffer.concat([Buffer.from(indent, "latin1"), moved]);
    if (stateful) throw new CodecError(`a changed line holds characters that cannot be written back in ${codec.name}`, 0);
    const known = charBytes();
    const parts: Buffer[] = [];
    for (const c of line) {
      if (c.charCodeAt(0) < 0x80) parts.push(Buffer.from(c, "latin1"));
      else {
        const bytes = known.get(c);
        if (!bytes) throw new CodecError(`a character of the fix cannot be written in ${codec.name}`, 0);
        parts.push(bytes);
      }
    }
    return Buffer.concat(parts);
  };
  return {
    text,
    writeBack: (after) =>
      verified(codec.name, after, spliceLines(text, body, charStarts, byteStarts, after, encode), (bytes) => new TextDecoder(codec.label, { fatal: true }).decode(bytes)),
  };
}

/** Start indices of the lines of `text`: a line ends after CR LF, a lone CR, or LF. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

function linesOf(text: string, starts: number[]): string[] {
  const lines = starts.map((s, i) => text.slice(s, i + 1 < starts.length ? starts[i + 1] : text.length));
  return lines[lines.length - 1] === "" ? lines.slice(0, -1) : lines;
}

/**
 * The bytes of `after`: each line it shares with `before` (as a line diff finds them) keeps its
 * original bytes; each other line is encoded with `encode`.
 */
function spliceLines(before: string, body: Buffer, charStarts: number[], byteStarts: number[], after: string, encode: (line: string) => Buffer): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { diffArrays } = require("diff") as typeof import("diff");
  const old = linesOf(before, charStarts);
  const next = linesOf(after, lineStarts(after));
  const byteEnd = (line: number) => (line + 1 < byteStarts.length ? byteStarts[line + 1] : body.length);
  const parts: Buffer[] = [];
  let line = 0;
  for (const change of diffArrays(old, next)) {
    if (change.removed) line += change.count ?? change.value.length;
    else if (change.added) for (const l of change.value) parts.push(encode(l));
    else {
      const count = change.count ?? change.value.length;
      parts.push(body.subarray(byteStarts[line], byteEnd(line + count - 1)));
      line += count;
    }
  }
  return Buffer.concat(parts);
}

function verified(name: string, after: string, bytes: Buffer, decode: (bytes: Buffer) => string): Buffer {
  let back: string | null;
  try {
    back = decode(bytes);
  } catch {
    back = null;
  }
  if (back !== after) throw new CodecError(`the fixed text could not be written back in ${name} byte for byte`, 0);
  return bytes;
}
