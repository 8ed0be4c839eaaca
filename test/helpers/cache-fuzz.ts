// Damaged cache files for the cache reader's fuzz tests (test/reliability.test.ts reads them
// directly, test/cache-fuzz.slow.test.ts runs the CLI over each): every field of a real cache
// file rewritten with every JSON type other than its own, and the whole file as other JSON.
import * as fs from "node:fs";
import * as path from "node:path";

const JSON_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, "", "x", [], [null], {}, { a: 1 }];

function jsonType(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Every path to a value in `data` (object keys and array indices). */
function fieldPaths(data: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (data === null || typeof data !== "object") return [];
  const keys: Array<string | number> = Array.isArray(data) ? data.map((_, i) => i) : Object.keys(data);
  return keys.flatMap((k) => [[...at, k], ...fieldPaths((data as Record<string, unknown>)[k as string], [...at, k])]);
}

function setAt(data: unknown, at: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(data) as Record<string | number, unknown>;
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[at[at.length - 1]] = value;
  return copy;
}

export interface CacheMutation {
  /** `files./p/app.py.stat = null` */
  where: string;
  /** The damaged file's text. */
  data: string;
  /** Not damage: a value the field may hold (a null model or `direct`): the file is read, the output is the same. */
  valid: boolean;
}

/** Fields that may be null in a cache file spawnsafe writes. */
const NULLABLE = /(^|\.)(model|direct)$/;

/** The one cache file of `cache`, parsed, and its damaged versions (`onePerType`: one value of each JSON type, not every value). */
export function cacheMutations(cache: string, onePerType = false): { file: string; real: any; mutations: CacheMutation[] } {
  const values = onePerType ? JSON_VALUES.filter((v, i) => JSON_VALUES.findIndex((w) => jsonType(w) === jsonType(v)) === i) : JSON_VALUES;
  const names = fs.readdirSync(cache).filter((n) => n.endsWith(".json"));
  if (names.length !== 1) throw new Error(`one cache file expected in ${cache}: ${names}`);
  const file = path.join(cache, names[0]);
  const real = JSON.parse(fs.readFileSync(file, "utf8"));
  const mutations: CacheMutation[] = [];
  for (const at of fieldPaths(real)) {
    const original = at.reduce<any>((node, k) => node[k], real);
    for (const value of values) {
      if (jsonType(value) === jsonType(original)) continue;
      const where = at.join(".");
      mutations.push({ where: `${where} = ${JSON.stringify(value)}`, data: JSON.stringify(setAt(real, at, value)), valid: value === null && NULLABLE.test(where) });
    }
  }
  for (const value of JSON_VALUES) mutations.push({ where: `the whole file = ${JSON.stringify(value)}`, data: JSON.stringify(value), valid: false });
  mutations.push({ where: "not JSON", data: "{", valid: false });
  return { file, real, mutations };
}
