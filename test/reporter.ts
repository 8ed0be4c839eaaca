// A node:test reporter for test/run.ts: one JSON line per finished top-level test (and per
// failure, with its error), streamed on stdout as each test ends, so that the runner can
// show progress while a long file is still running. Each line starts with MARK, which tells
// it from what the tests themselves print. Not meant to be read by people directly.
import type { TestEvent } from "node:test/reporters";
import { MARK } from "./helpers/mark";

async function* lines(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data as { name: string; nesting: number; skip?: unknown; todo?: unknown; details: { duration_ms: number; error?: unknown; type?: string } };
    // Subtests are reported with their parent; suites by their tests.
    if (data.nesting !== 0 || data.details.type === "suite") continue;
    const error = event.type === "test:fail" ? describe(data.details.error) : null;
    yield MARK + JSON.stringify({ name: data.name, ok: event.type === "test:pass", skipped: !!data.skip, ms: data.details.duration_ms, error }) + "\n";
  }
}

function describe(error: unknown): string {
  const e = error as { cause?: unknown; message?: string; stack?: string } | undefined;
  // node:test wraps the test's own error as `cause`.
  const cause = (e?.cause ?? e) as { stack?: string; message?: string } | undefined;
  return String(cause?.stack ?? cause?.message ?? e?.message ?? error);
}

// node --test-reporter loads the module's export itself as the reporter.
export = lines;
