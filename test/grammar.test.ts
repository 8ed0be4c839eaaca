// spawnsafe's parser against the table of valid forms (test/grammar-forms.ts): a form the
// table says it misses must still fail to parse (else a newer grammar reads it: set `parses`),
// and a form it reads must parse. CPython's side of the table is held in cpython.slow.test.ts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { firstSyntaxError, parsePython } from "../src/parse";
import { GRAMMAR_FORMS } from "./grammar-forms";

for (const form of GRAMMAR_FORMS) {
  test(`grammar: spawnsafe's parser ${form.parses ? "reads" : "misses"} ${form.name} (valid from CPython 3.${form.since})`, () => {
    const error = firstSyntaxError(parsePython(form.code));
    if (form.parses) assert.equal(error, null, `error at ${error?.startPosition.row}:${error?.startPosition.column}`);
    else assert.notEqual(error, null, "the parser reads it now: set parses: true in test/grammar-forms.ts");
  });
}
