// A call through a registry of functions (src/python/registries.ts): the children run the
// functions a module-level dict holds when it is filled only at import (its literal, an item
// set at top level, decorators on module-level definitions); any other way of filling it
// leaves their code not known (an unsafe fix) or is a hazard of its own.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const HEAD = "import multiprocessing\n\nHANDLERS = {}\n\n";
const FACTORY = "def register(name):\n    def deco(func):\n        HANDLERS[name] = func\n        return func\n\n    return deco\n\n\n";
const PLAIN = "def register(func):\n    HANDLERS[func.__name__] = func\n    return func\n\n\n";
const DOUBLE = "def double(v):\n    return 2 * v\n\n\n";
const work = (call: string) => `KEY = "double"\n\n\ndef work(x):\n    return ${call}(x)\n\n\n`;
const main = (setup: string) => `if __name__ == "__main__":\n${setup}    with multiprocessing.Pool(2) as pool:\n        print(pool.map(work, [1, 2, 3]))\n`;

/** Body before `work`, the call through the registry, setup under the guard, and the mark SPS102 must get. */
const CASES: Record<string, [string, string, string, string]> = {
  "a decorator factory on a module-level def": [`${FACTORY}@register("double")\n${DOUBLE}`, "HANDLERS[KEY]", "", "[*]"],
  "a plain decorator": [`${PLAIN}@register\n${DOUBLE}`, "HANDLERS[KEY]", "", "[*]"],
  "an item set at top level": [`${DOUBLE}HANDLERS["double"] = double\n`, "HANDLERS[KEY]", "", "[*]"],
  "read with get": [`${FACTORY}@register("double")\n${DOUBLE}`, "HANDLERS.get(KEY)", "", "[*]"],
  "decorated under the guard": [FACTORY, "HANDLERS[KEY]", '    @register("double")\n    def double(v):\n        return 2 * v\n\n', "[-]"],
  "a lambda stored": ['HANDLERS["double"] = lambda v: 2 * v\n', "HANDLERS[KEY]", "", "[-]"],
  "updated": [`${DOUBLE}HANDLERS.update(double=double)\n`, "HANDLERS[KEY]", "", "[-]"],
  "handed to a function that fills it": [`${DOUBLE}def fill(table):\n    table["double"] = double\n\n\nfill(HANDLERS)\n`, "HANDLERS[KEY]", "", "[-]"],
  "set under the guard": [DOUBLE, "HANDLERS[KEY]", '    HANDLERS["double"] = double\n', ""],
};

test("the children run the functions a registry holds when the module fills it at import only", async () => {
  for (const [name, [body, call, setup, mark]] of Object.entries(CASES)) {
    const source = HEAD + body + work(call) + main(setup);
    const r = await cli(["check", "-q", "--no-cache", "app.py"], writeTree({ "app.py": source }, "spawnsafe-registry-"));
    const line = r.stdout.split("\n").find((l) => l.includes(" SPS102"));
    assert.ok(line, `${name}: reported\n${r.stdout}`);
    assert.ok(line!.includes(`SPS102${mark ? ` ${mark}` : ""} `), `${name}: marked ${mark || "no fix"}\n${line}\n${source}`);
  }
});
