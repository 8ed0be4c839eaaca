// SPS201: a direct call to os.fork() (or forkpty): not multiprocessing, so nothing to migrate.
import { defineTransform } from "../src/transform";
import { callsNamed } from "../src/python/source-index";
import { aliasClosure } from "../src/python/bindings";
import { FORKS } from "../src/python/vocabulary";

export const osFork = defineTransform({
  code: "SPS201",
  name: "os-fork",
  summary: "A direct call to `os.fork()` or `os.forkpty()`",
  fix: "never",
  check(context) {
    const { module } = context;
    for (const call of callsNamed(module.index, aliasClosure(module.index, ["fork", "forkpty"]))) {
      const value = module.model.valueOf(module.index.field(call, "function"));
      if (value?.kind !== "qualified" || !FORKS.has(value.qname)) continue;
      context.report({
        node: call,
        message: `\`${value.qname}()\` forks the whole process, with the locks other threads hold but not the threads; spawnsafe cannot migrate it. Start a program with \`subprocess\` or a \`multiprocessing.get_context("spawn").Process\``,
        fix: null,
      });
    }
  },
});
