// Every process a verify run's command started, Python or not, also one that left the
// command's process group and session (`setsid`, a daemon's double fork): so that verify can
// end what is left when the command ends. Linux only (/proc); elsewhere it knows none.
//
// Two ways in, since neither sees everything:
// - the environment: every process started with the run's environment carries its marker
//   (SPAWNSAFE_VERIFY_DIR=<the run's folder>) in /proc/PID/environ, which is the environment
//   it was started with, whatever it did since (only a program started with a cleared
//   environment, `env -i`, drops it);
// - the process tree, polled while the command runs: a child of a process of the run is of
//   the run, with or without the marker, if it is seen before its parent ends.
// A process is known by its pid and start time together, so that a pid reused by another
// program after the run's process ended is never signalled.
import * as fs from "node:fs";

interface ProcessEntry {
  ppid: number;
  /** Clock ticks after boot at which it started (field 22 of /proc/PID/stat). */
  start: string;
  zombie: boolean;
}

/** Every process of the machine, from /proc; empty where there is none. */
function processTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  if (process.platform !== "linux") return table;
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return table;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const entry = statOf(Number(name));
    if (entry) table.set(Number(name), entry);
  }
  return table;
}

function statOf(pid: number): ProcessEntry | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces and parentheses: fields follow the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), start: fields[19], zombie: fields[0] === "Z" || fields[0] === "X" };
  } catch {
    return null; // ended meanwhile
  }
}

/** spawnsafe's own pid, its ancestors', 0 and 1. */
function ancestry(): Set<number> {
  const out = new Set<number>([0, 1]);
  for (let pid = process.pid; pid > 1 && !out.has(pid); pid = statOf(pid)?.ppid ?? 0) out.add(pid);
  return out;
}

export class RunProcesses {
  /** pid → start time, of every process seen to be of the run (the command itself included). */
  private readonly known = new Map<number, string>();
  private readonly marker: Buffer;
  /** Never of the run, whatever /proc says: pid 0 and 1, spawnsafe itself and every process above it. */
  private readonly spared: Set<number>;
  private timer: NodeJS.Timeout | null = null;

  /** `root`: the command's pid; `marker`: the environment entry (NAME=value) every process of the run starts with. */
  constructor(private readonly root: number, marker: string) {
    this.marker = Buffer.from(`${marker}\0`);
    this.spared = ancestry();
    this.scan();
  }

  /** Polls the process tree every `ms` until stop(). */
  watch(ms = 200): void {
    this.timer = setInterval(() => this.scan(), ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Adds the processes of the run found now: descendants of known ones and, with `environment`, those with the marker. */
  scan(environment = false): void {
    const table = processTable();
    const root = table.get(this.root);
    if (root && !this.known.has(this.root)) this.known.set(this.root, root.start);
    const isKnown = (pid: number) => this.known.has(pid) && this.known.get(pid) === table.get(pid)?.start;
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, entry] of table) {
        if (this.known.has(pid) || this.spared.has(pid) || !isKnown(entry.ppid)) continue;
        this.known.set(pid, entry.start);
        grew = true;
      }
    }
    if (!environment) return;
    for (const [pid, entry] of table) {
      if (this.spared.has(pid) || this.known.has(pid) || entry.zombie) continue;
      if (this.hasMarker(pid)) this.known.set(pid, entry.start);
    }
  }

  /** The run's processes still running (not zombies), the command itself left out; scans again first, environments too. */
  alive(): number[] {
    this.scan(true);
    const out: number[] = [];
    for (const [pid, start] of this.known) {
      if (pid === this.root || this.spared.has(pid)) continue;
      const now = statOf(pid);
      if (now && now.start === start && !now.zombie) out.push(pid);
    }
    return out;
  }

  /** Still the same process as the one seen: its start time unchanged. */
  same(pid: number): boolean {
    const now = statOf(pid);
    return !!now && now.start === this.known.get(pid) && !now.zombie;
  }

  private hasMarker(pid: number): boolean {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`).includes(this.marker);
    } catch {
      return false;
    }
  }
}
