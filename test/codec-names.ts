// Cookie names and the codec CPython reads a file in for each (test/encodings.test.ts holds
// spawnsafe to it, test/cpython.slow.test.ts holds the running python3 to it).

/** What CPython 3.11 reads a file in for each cookie name (its tokenizer, then codecs.lookup()): the codec's module, or null (unknown). */
export const CPYTHON_LOOKUP: Record<string, string | null> = {
  "utf-8": "utf_8", "UTF-8": "utf_8", utf8: "utf_8", utf_8: "utf_8", u8: "utf_8", "utf-8-sig": "utf_8", utf_8_sig: "utf_8", utf8_sig: null,
  "utf-8-ubuntu": "utf_8", "utf_8-foo": "utf_8", cp65001: "utf_8", "latin-1": "latin_1", "Latin-1": "latin_1", latin_1: "latin_1", latin1: "latin_1",
  "iso-8859-1": "latin_1", "iso8859-1": "latin_1", "ISO_8859-1": "latin_1", "iso-latin-1": "latin_1", "latin-1-foo": "latin_1", l1: "latin_1",
  "iso-8859-15": "iso8859_15", iso8859_15: "iso8859_15", latin9: "iso8859_15", cp1252: "cp1252", "windows-1252": "cp1252", shift_jis: "shift_jis",
  "Shift-JIS": "shift_jis", sjis: "shift_jis", s_jis: "shift_jis", shiftjis: "shift_jis", ms_kanji: "cp932", "ms-kanji": "cp932", cp932: "cp932",
  ms932: "cp932", mskanji: "cp932", "windows-31j": null, big5: "big5", "big5-tw": "big5", csbig5: "big5", cp950: "cp950", gbk: "gbk", GBK: "gbk",
  cp936: "gbk", ms936: "gbk", gb2312: "gb2312", chinese: "gb2312", gb18030: "gb18030", "euc-jp": "euc_jp", EUC_JP: "euc_jp", eucjp: "euc_jp",
  ujis: "euc_jp", "euc.jp": null, iso2022_jp: "iso2022_jp", "iso-2022-jp": "iso2022_jp", csiso2022jp: "iso2022_jp", "euc-kr": "euc_kr",
  euckr: "euc_kr", cp949: "cp949", uhc: "cp949", "ks_c-5601": "euc_kr", "koi8-r": "koi8_r", koi8_r: "koi8_r", "mac-roman": "mac_roman",
  macroman: "mac_roman", mac_roman: "mac_roman", "ebcdic-cp-us": "cp037", cp037: "cp037", ascii: "ascii", "us-ascii": "ascii", "646": "ascii",
  hz: "hz", hzgb: "hz", johab: "johab", "utf-16": "utf_16", utf16: "utf_16", "utf-7": "utf_7", unicode_escape: "unicode_escape", rot13: "rot_13",
  "rot-13": "rot_13", rot_13: "rot_13", hex: "hex_codec", base64: "base64_codec", zlib: "zlib_codec", undefined: "undefined", klingon: null,
  "x-foo": null, "utf-9": null, "8859": "latin_1", "...": null, latin: "latin_1", "iso8859.15": null, "iso-8859-15.x": null, "-latin-": "latin_1",
  "cp-1252": null, CP_1252: null,
};
