// Evidence of a finding seen at run time (`spawnsafe verify`): the stack, the object that
// failed, the threads alive, the values that differ, every process's stack at a hang. In
// JSON it is the finding's `evidence` field; in text, lines indented below the finding.
import type { Finding } from "../engine";

export interface EvidenceFrame {
  /** Relative to the working directory when inside it. */
  file: string;
  line: number;
  func: string;
  /** The user's code, not the standard library, an installed package or spawnsafe. */
  user: boolean;
}

export interface Evidence {
  /** The stack of the call, outermost first. */
  stack?: EvidenceFrame[];
  /** The object that could not be pickled: its path (self.output_handle, args[1]), type and repr, and CPython's error. */
  object?: { path: string; type: string; repr: string; error: string };
  /** CPython's error, when there is no object (a child that failed). */
  error?: string;
  /** The threads alive at a fork. */
  threads?: Array<{ name: string; daemon: boolean; current: boolean; at: string | null }>;
  /** Globals or environment variables whose value differs between the parent and the child. */
  values?: Array<{ name: string; parent: string; child: string; compared: "value" | "size" | "contents" | "type" | "presence" }>;
  /** Every Python process's threads at a hang. */
  processes?: Array<{ pid: number; command: string; role: string; threads: Array<{ id: string; current: boolean; stack: EvidenceFrame[] }> }>;
  /** Other facts, one line each (where fork was chosen, which process). */
  notes?: string[];
  /** The pytest tests that hit it (node ids, from PYTEST_CURRENT_TEST), at most 20. */
  tests?: string[];
  /** How many times the run hit this finding (calls, processes). */
  occurrences?: number;
}

export type EvidenceFinding = Finding & { evidence?: Evidence };

/** A stack for reading: the user's frames and the innermost one, runs of library frames counted. */
export function stackLines(stack: EvidenceFrame[], indent: string): string[] {
  const out: string[] = [];
  let hidden = 0;
  stack.forEach((f, i) => {
    if (f.user || i === stack.length - 1) {
      if (hidden > 0) out.push(`${indent}... ${hidden} frame${hidden === 1 ? "" : "s"} in the standard library or installed packages`);
      hidden = 0;
      out.push(`${indent}${f.file}:${f.line} in ${f.func}`);
    } else {
      hidden++;
    }
  });
  return out;
}

export function evidenceLines(e: Evidence, indent = "    "): string[] {
  const out: string[] = [];
  const more = indent + "  ";
  if (e.object) {
    out.push(`${indent}object: ${e.object.path}: ${e.object.type} = ${e.object.repr}`);
    out.push(`${indent}error: ${e.object.error}`);
  }
  if (e.error) out.push(`${indent}error: ${e.error}`);
  for (const v of e.values ?? []) out.push(`${indent}${v.name}: parent ${v.parent}, child ${v.child} (${v.compared})`);
  for (const note of e.notes ?? []) out.push(`${indent}${note}`);
  if (e.threads && e.threads.length > 0) {
    out.push(`${indent}threads alive (${e.threads.length}):`);
    for (const t of e.threads) {
      const tags = [t.current ? "this thread" : null, t.daemon ? "daemon" : null].filter(Boolean).join(", ");
      out.push(`${more}${t.name}${tags ? ` (${tags})` : ""}${t.at ? ` at ${t.at}` : ""}`);
    }
  }
  if (e.stack && e.stack.length > 0) {
    out.push(`${indent}stack (most recent call last):`);
    out.push(...stackLines(e.stack, more));
  }
  for (const p of e.processes ?? []) {
    out.push(`${indent}process ${p.pid} (${p.role}): ${p.command}`);
    for (const t of p.threads) {
      out.push(`${more}thread ${t.id}${t.current ? " (current)" : ""}:`);
      out.push(...stackLines(t.stack, more + "  "));
    }
  }
  if (e.tests && e.tests.length > 0) out.push(`${indent}hit by ${e.tests.length === 1 ? "test" : "tests"}: ${e.tests.join(", ")}`);
  if (e.occurrences && e.occurrences > 1) out.push(`${indent}seen ${e.occurrences} times`);
  return out;
}
