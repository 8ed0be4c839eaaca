// Logging the parent configures (src/python/crossing.ts loggingConfiguration): a plain
// `basicConfig` run as the module is imported is run by a spawned child too, to its own stderr;
// one run at run time, or one that opens a file or hands a stream, is the parent's only.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cli } from "./helpers/cli";
import { writeTree } from "./helpers/tree";

const program = (top: string[], guard: string[]) => ["import logging", "import multiprocessing", "import sys", "", ...top, "log = logging.getLogger(__name__)", "", "",
  "def work(x):", "    log.info(\"working %s\", x)", "    return (x, log.isEnabledFor(logging.DEBUG))", "", "",
  'if __name__ == "__main__":', ...guard.map((l) => `    ${l}`), "    with multiprocessing.Pool(2) as pool:", "        print(sorted(pool.map(work, [1, 2])))", ""].join("\n");

test("logging configured as the module is imported, with a level or a format only: the switch is proved; otherwise not", async () => {
  const cases: Array<[string, string, string]> = [
    ["level at import", program(["logging.basicConfig(level=logging.DEBUG)"], []), "[*]"],
    ["level and format at import", program(['logging.basicConfig(level=logging.INFO, format="%(message)s")'], []), "[*]"],
    ["under the guard", program([], ["logging.basicConfig(level=logging.DEBUG)"]), "[-]"],
    ["a file at import", program(['logging.basicConfig(filename="run.log", filemode="w")'], []), "[-]"],
    ["a stream at import", program(["logging.basicConfig(stream=sys.stdout)"], []), "[-]"],
    ["a handler added under the guard", program([], ["log.addHandler(logging.StreamHandler())"]), "[-]"],
  ];
  for (const [name, text, mark] of cases) {
    const r = await cli(["check", "."], writeTree({ "main.py": text }, "spawnsafe-logging-"));
    assert.equal(r.stdout.match(/main\.py:\d+:\d+: SPS102 (\[[*-]\])/)?.[1], mark, `${name}\n${text}\n${r.stdout}`);
  }
});
