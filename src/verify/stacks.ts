// faulthandler's dump of every thread of a process (what `faulthandler.register` writes when
// verify sends the signal at --timeout):
//
//   Thread 0x00007f1c2d1fe640 (most recent call first):
//     File "/usr/lib/python3.11/threading.py", line 320 in wait
//
//   Current thread 0x00007f1c2e3b7740 (most recent call first):
//     File "app.py", line 5 in <module>
import * as path from "node:path";

export interface DumpFrame {
  file: string;
  line: number;
  func: string;
}

export interface ThreadDump {
  id: string;
  /** The thread that ran the signal handler: in practice the main thread. */
  current: boolean;
  /** Outermost first (faulthandler writes the innermost first). */
  frames: DumpFrame[];
}

const THREAD = /^(Current thread|Thread) (0x[0-9a-fA-F]+)(?: \[[^\]]*\])? \(most recent call first\):\s*$/;
const FRAME = /^\s+File "(.*)", line (\d+|\?\?\?) in (.*)$/;

/** The threads of the last dump in the text; relative file names resolved against `cwd`. */
export function parseStackDump(text: string, cwd: string | null): ThreadDump[] {
  const dumps: ThreadDump[][] = [];
  let current: ThreadDump[] | null = null;
  let thread: ThreadDump | null = null;
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const t = THREAD.exec(line);
    if (t) {
      // A thread seen again starts a new dump (the signal was sent twice).
      if (!current || seen.has(t[2])) {
        current = [];
        dumps.push(current);
        seen.clear();
      }
      seen.add(t[2]);
      thread = { id: t[2], current: t[1] === "Current thread", frames: [] };
      current.push(thread);
      continue;
    }
    const f = FRAME.exec(line);
    if (f && thread) {
      const file = cwd && !path.isAbsolute(f[1]) && !f[1].startsWith("<") ? path.resolve(cwd, f[1]) : f[1];
      thread.frames.unshift({ file, line: f[2] === "???" ? 0 : Number(f[2]), func: f[3] });
    }
  }
  return dumps.length > 0 ? dumps[dumps.length - 1] : [];
}
