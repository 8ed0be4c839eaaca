// What a cache file must hold to be used (src/project/cache.ts). The file is spawnsafe's own,
// but anything may have written it (another tool, a disk error, a person): valid JSON with a
// field of the wrong type must read as no cache, never as a result. Every field is checked,
// and no unknown one is let through (a result's findings go into the reports as they are).
// A field added to what the cache keeps (cache.ts `Kept`) must be added here too, or every
// cache file reads as none: test/reliability.test.ts reads a real one to catch that.

type Check = (value: unknown) => boolean;

const isString: Check = (v) => typeof v === "string";
const isBoolean: Check = (v) => typeof v === "boolean";
const count = (min: number): Check => (v) => typeof v === "number" && Number.isInteger(v) && v >= min;
const nullOr = (check: Check): Check => (v) => v === null || check(v);
const oneOf = (...values: unknown[]): Check => (v) => values.includes(v);
const listOf = (check: Check): Check => (v) => Array.isArray(v) && v.every(check);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const recordOf = (check: Check): Check => (v) => isRecord(v) && Object.values(v).every(check);

/** An object with exactly these fields (`optional` ones may be absent), each passing its check. */
function shape(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v) => {
    if (!isRecord(v)) return false;
    for (const [key, check] of Object.entries(required)) if (!(key in v) || !check(v[key])) return false;
    for (const key of Object.keys(v)) {
      if (key in required) continue;
      if (!(key in optional) || !optional[key](v[key])) return false;
    }
    return true;
  };
}

/** Both checks. */
const both = (a: Check, b: Check): Check => (v) => a(v) && b(v);

const finding = both(shape(
  {
    code: isString,
    name: isString,
    message: isString,
    line: count(1),
    column: count(1),
    endLine: count(1),
    endColumn: count(1),
    fixable: isBoolean,
    applicability: oneOf("safe", "unsafe", null),
    // A kept result is of a file fix did not change: nothing in it was fixed.
    fixed: oneOf(false),
  },
  { cell: shape({ number: count(1), line: count(1), column: count(1) }) },
  // A fix has an applicability, and only a fix has one.
), (f) => (f as { fixable: boolean }).fixable === ((f as { applicability: unknown }).applicability !== null));

const kept = both(shape(
  {
    path: isString,
    decision: nullOr(shape({ role: oneOf("app", "library", "none"), reason: isString })),
    findings: listOf(finding),
    error: nullOr(shape({ message: isString, line: count(1), column: count(1) })),
    passes: count(0),
  },
  {
    starts: listOf(shape({ qname: isString, direct: nullOr(isString), calls: listOf(isString) })),
    aliases: recordOf(isString),
    skipped: listOf(shape({ line: count(1), column: count(1), reason: isString })),
    program: shape({ unproved: listOf(isString) }),
    reaches: listOf(isString),
    deferred: listOf(shape({
      function: isString,
      params: listOf(shape({ name: isString, position: count(-1), needs: listOf(oneOf("value", "items")) })),
    })),
    projectCalls: listOf(shape({
      function: isString,
      line: count(1),
      open: isString,
      args: listOf(shape({ position: count(-1), keyword: isString, value: isString, items: isString })),
    })),
  },
  // A file is decided on, or could not be processed: never both, never neither.
), (r) => ((r as { decision: unknown }).decision === null) === ((r as { error: unknown }).error !== null));

const projectExports = shape({ starts: recordOf(listOf(isString)), aliases: recordOf(isString), packages: listOf(isString), patched: recordOf(isString) });

const cacheFile = shape({
  tool: isString,
  root: isString,
  model: nullOr(shape({ key: isString, exports: projectExports })),
  files: recordOf(shape({ stat: isString, results: recordOf(kept) })),
});

/** Whether parsed JSON is a cache file every field of which can be used. */
export function isCacheFile(value: unknown): boolean {
  return cacheFile(value);
}
