// Runtime tests under python3, shard 2 of 2 (test/runtime-cases.ts).
import { runtimeTests } from "./runtime-cases";

runtimeTests(2, 2);
