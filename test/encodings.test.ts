// Source encodings as CPython reads them (src/codecs.ts, src/parse.ts): the codec a cookie
// names, found as CPython finds it; multi-byte codecs read with their real decoder; edits
// written back with every other byte as it was. The fixtures under fixtures/engine/ (shift-jis-*,
// big5-*, gbk-*, iso2022-jp-*, ...) hold whole files of each codec, run under python3 too.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { lookupCodec } from "../src/codecs";
import { DecodeError, decodeSource, encodeSource, isDecodable } from "../src/parse";
import { processFile } from "../src/engine";
import { CPYTHON_LOOKUP } from "./codec-names";

test("the codec a coding cookie names, found as CPython finds it", () => {
  const found = Object.fromEntries(Object.keys(CPYTHON_LOOKUP).map((name) => [name, lookupCodec(name)?.name ?? null]));
  assert.deepEqual(found, CPYTHON_LOOKUP);
});

const file = (cookie: string, body: string | Buffer) => Buffer.concat([Buffer.from(`# -*- coding: ${cookie} -*-\n`), Buffer.isBuffer(body) ? body : Buffer.from(body, "latin1")]);

function decodeError(bytes: Buffer): DecodeError {
  try {
    decodeSource(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  assert.fail("decoded");
}

test("files CPython refuses are errors in CPython's words; codecs CPython reads but spawnsafe cannot are errors that say so", () => {
  assert.equal(decodeError(file("klingon", "x = 1\n")).message, "unknown encoding: klingon");
  assert.equal(decodeError(file("utf8_sig", "x = 1\n")).message, "unknown encoding: utf8_sig");
  assert.equal(decodeError(file("rot13", "x = 1\n")).message, "'rot13' is not a text encoding");
  assert.equal(decodeError(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), file("latin-1", "x = 1\n")])).message, "encoding problem: latin-1 with a UTF-8 BOM");
  for (const codec of ["hz", "johab", "utf-7", "utf-16", "unicode_escape"]) {
    assert.match(decodeError(file(codec, "x = 1\n")).message, /^spawnsafe cannot read source encoded in \w+ \(a coding cookie names it\); file left untouched$/, codec);
  }
  // A file CPython refuses is an error even when it does not name the API; one in a codec it reads is not looked at.
  assert.equal(isDecodable(file("klingon", "x = 1\n")), false);
  assert.equal(isDecodable(file("hz", "x = 1\n")), true);
  assert.equal(isDecodable(file("shift_jis", "x = 1\n")), true);
});

test("bytes a codec refuses are an error at their line and column", () => {
  const sjis = decodeError(file("shift_jis", Buffer.from("x = 1\ny = '\x81\n", "latin1")));
  assert.match(sjis.message, /^'shift_jis' codec can't decode/);
  assert.deepEqual([sjis.line, sjis.column], [3, 1]);
  const ascii = decodeError(file("ascii", "x = 1\ny = '\xe9'\n"));
  assert.equal(ascii.message, "'ascii' codec can't decode byte 0xe9");
  assert.deepEqual([ascii.line, ascii.column], [3, 6]);
});

test("shift_jis: a trail byte 0x5C is part of its character, not a backslash", () => {
  // `s = "ソ"`: ソ is 0x83 0x5C. Read one byte a character, the 0x5C escapes the closing quote.
  const bytes = file("shift_jis", Buffer.from('s = "\x83\x5c"\nt = 1\n', "latin1"));
  const { text } = decodeSource(bytes);
  assert.equal(text, '# -*- coding: shift_jis -*-\ns = "ソ"\nt = 1\n');
});

test("a mid-line edit on a line holding multi-byte characters writes them back with their own bytes", () => {
  // `p = Pool(2)  # ソ能` -> `p = get_context("spawn").Pool(2)  # ソ能`: the line changes, its characters keep their bytes.
  const line = Buffer.concat([Buffer.from("p = Pool(2)  # "), Buffer.from([0x83, 0x5c, 0x94, 0x5c]), Buffer.from("\n")]);
  const bytes = file("cp932", Buffer.concat([Buffer.from("from multiprocessing import Pool, get_context\n"), line]));
  const { text, encoding } = decodeSource(bytes);
  const after = text.replace("= Pool(", '= get_context("spawn").Pool(');
  const written = encodeSource(after, encoding);
  const expected = Buffer.from(bytes.toString("latin1").replace("= Pool(", '= get_context("spawn").Pool('), "latin1");
  assert.deepEqual(written, expected);
});

test("a moved line keeps its bytes even where the codec has two encodings of a character", () => {
  // ∵ is 0x81 0xE6 in JIS X 0208 and 0x87 0x9A among NEC's characters of cp932; both read as U+2235.
  const bytes = file("cp932", Buffer.from("a = 1\nprint('\x87\x9a')\n", "latin1"));
  const { text, encoding } = decodeSource(bytes);
  const after = text.replace("print(", "if True:\n    print(");
  const written = encodeSource(after, encoding);
  assert.deepEqual(written, Buffer.from(bytes.toString("latin1").replace("print(", "if True:\n    print("), "latin1"));
});

test("iso2022_jp: a quote byte inside an escape sequence stays inside its character", () => {
  // あ is ESC $ B 0x24 0x22 ESC ( B: its JIS bytes hold a double quote.
  const aa = Buffer.from("1b244224221b2842", "hex");
  const bytes = file("iso2022_jp", Buffer.concat([Buffer.from('s = "'), aa, Buffer.from('"\nprint(s)\n')]));
  const { text, encoding } = decodeSource(bytes);
  assert.equal(text, '# -*- coding: iso2022_jp -*-\ns = "あ"\nprint(s)\n');
  const after = text.replace("print(s)", "import os\nprint(s)");
  assert.deepEqual(encodeSource(after, encoding), Buffer.concat([bytes.subarray(0, bytes.indexOf("print")), Buffer.from("import os\nprint(s)\n")]));
  // A changed line holding such characters cannot be written back character by character in a codec with shift states.
  assert.throws(() => encodeSource(text.replace('s = "', 't = "'), encoding), (e: unknown) => e instanceof DecodeError && /cannot be written back in iso2022_jp/.test(e.message));
});

test("single-byte codecs are read with CPython's table: a cp1252 or koi8_r identifier is a name, and written back byte for byte", () => {
  const koi = file("koi8_r", Buffer.from("\xc9\xcd\xd1 = 1\nprint(\xc9\xcd\xd1)\n", "latin1"));
  const { text, encoding } = decodeSource(koi);
  assert.equal(text, "# -*- coding: koi8_r -*-\nимя = 1\nprint(имя)\n");
  assert.deepEqual(encodeSource(text.replace("print", "import os\nprint"), encoding), Buffer.from(koi.toString("latin1").replace("print", "import os\nprint"), "latin1"));
  // cp1252's 0x80 is the euro sign; latin-1 reads it as a C1 control.
  assert.equal(decodeSource(file("cp1252", "s = '\x80'\n")).text.slice(-4), "'€'\n");
  assert.equal(decodeSource(file("latin-1", "s = '\x80'\n")).text.slice(-4), "'\x80'\n");
});

test("engine: a shift_jis program with ソ before a closing quote gets the guard's first line, and no other byte changes", () => {
  const head = Buffer.concat([Buffer.from('import multiprocessing\n\nLABEL = "'), Buffer.from([0x83, 0x5c]), Buffer.from('"\n\n\ndef f(x):\n    return x\n\n\nif __name__ == "__main__":\n')]);
  const rest = Buffer.from("    with multiprocessing.Pool(2) as p:\n        print(LABEL, p.map(f, [1]))\n");
  const bytes = file("shift_jis", Buffer.concat([head, rest]));
  const fixed = processFile({ path: "app.py", packageDir: null, isMainModule: false }, bytes, { mode: "auto", method: "spawn" }, true);
  assert.equal(fixed.error, null);
  assert.deepEqual(fixed.output, file("shift_jis", Buffer.concat([head, Buffer.from('    multiprocessing.set_start_method("spawn", force=True)\n'), rest])));
});
