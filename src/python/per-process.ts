// The names of functions whose result differs between processes (the last part of each of
// crossing.ts's PER_PROCESS, and the environment and stdin, which the parent may change or a
// spawned child does not share): a text that writes none of them computes no such value.
export const PER_PROCESS_WORDS = [
  "getpid", "getppid", "urandom", "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "process_time",
  "now", "utcnow", "today", "uuid1", "uuid4", "random", "randint", "randrange", "choice", "choices", "uniform", "getrandbits",
  "sample", "randbytes", "gauss", "shuffle", "token_hex", "token_bytes", "token_urlsafe", "randbelow", "get_ident", "get_native_id",
  "current_thread", "current_process", "parent_process", "mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile",
  "default_rng", "RandomState", "seed", "hash", "id", "environ", "getenv", "putenv", "stdin", "input",
];

const WORDS = new RegExp(`\\b(${PER_PROCESS_WORDS.join("|")})\\b`);

/** Whether a text writes one of the words (in code, a comment or a string alike: over-approximate). */
export function writesPerProcessWord(text: string): boolean {
  return WORDS.test(text);
}
