// Runtime tests under python3, shard 1 of 2 (test/runtime-cases.ts).
import { runtimeTests } from "./runtime-cases";

runtimeTests(1, 2);
