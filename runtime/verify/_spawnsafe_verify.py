"""spawnsafe verify: the recorder that runs inside every Python process of a run.

Loaded by this folder's sitecustomize.py when SPAWNSAFE_VERIFY_DIR is set. It:

- makes the chosen start method (SPAWNSAFE_VERIFY_METHOD, spawn by default) the *default*
  of multiprocessing without setting it, so the program's own set_start_method() and
  get_context() still work as written (and an explicit "fork" still forks, recorded);
- records every os.fork()/os.forkpty() (audit events) with the stack and live threads;
- patches, right after they are imported, the calls that hand objects to another process
  (Process.start, Pool.apply_async/map/..., ProcessPoolExecutor.submit, Queue.put, ...)
  so a pickling failure is recorded in the caller's thread with the caller's stack and the
  path of the object that failed (self.output_handle, args[1]);
- records, in children, failures before the user's code runs and the values of the
  globals and environment the target reads, to compare with the parent's at start;
- registers a faulthandler dump on a real-time signal, which the CLI sends on --timeout.

Each process appends JSON lines to its own file in SPAWNSAFE_VERIFY_DIR, one os.write per
record, so what a killed process wrote is kept. Nothing here may raise into the program:
every hook catches its own errors. Only the fast paths live here; the analysis that runs
when something is found (or a process is started) is in _spawnsafe_inspect.py.
"""

import os
import sys

_DIR = os.environ.get("SPAWNSAFE_VERIFY_DIR") or ""
_METHOD = os.environ.get("SPAWNSAFE_VERIFY_METHOD") or "spawn"
# fix --verify: record the lines that choose spawn or forkserver (the creation sites of the units under trial).
_SITES = os.environ.get("SPAWNSAFE_VERIFY_SITES") == "1"
HERE = os.path.dirname(os.path.abspath(__file__))
STDLIB = os.path.dirname(os.path.abspath(os.__file__))
try:
    CWD = os.getcwd()
except OSError:  # the working directory was removed
    CWD = os.sep

_json_str = None


def _enc_str(s):
    """A JSON string: plain ASCII by hand (most argv and paths), the rest by _json (loaded on first need)."""
    global _json_str
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    if _json_str is None:
        try:
            from _json import encode_basestring_ascii as _json_str
        except ImportError:  # pragma: no cover - CPython always has the accelerator
            from json.encoder import py_encode_basestring_ascii as _json_str
    return _json_str(s)

try:
    import _signal

    # A real-time signal nothing else uses by convention; SIGUSR2 where there are none.
    DUMP_SIGNAL = _signal.SIGRTMIN + 6 if hasattr(_signal, "SIGRTMIN") else getattr(_signal, "SIGUSR2", 0)
except ImportError:  # pragma: no cover
    DUMP_SIGNAL = 0

_report_fd = -1
_stacks_fd = -1
_installed = False
# Set by the audit event of a real os.fork(); after_in_child hooks also run in the child
# of subprocess's fork_exec with a preexec_fn, which execs at once and needs no files.
_fork_pending = False
_role = "program"
_is_mp_child = False
_mp_parent_pid = 0
_tokens = None  # itertools.count(1) once a process is started: next() is atomic
# Where the program chose the fork start method: [{how, stack}], distinct, at most 10.
fork_origins = []
# The process being started and its caller's stack, for the fork it makes.
_starting = None
# The last user stack that started a process (pool workers replaced from a background thread).
last_start_site = None
# Names the pool initializer of this (child) process assigns with `global`.
init_stores = ()
_observed_tasks = set()
_snapshotted_tasks = set()
# This process's start token (from the parent), and os.environ as the process inherited it.
_my_token = None
_startup_env = {}


# --------------------------------------------------------------------------- records


def _enc(o):
    t = type(o)
    if t is str:
        return _enc_str(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if t is int:
        return str(o)
    if t is float:
        return repr(o) if o == o and o not in (float("inf"), float("-inf")) else "null"
    if t is dict:
        return "{" + ",".join(_enc_str(str(k)) + ":" + _enc(v) for k, v in o.items()) + "}"
    if t is list or t is tuple:
        return "[" + ",".join([_enc(x) for x in o]) + "]"
    return _enc_str(str(o))


def emit(record):
    """Append one record to this process's report file: one write, so it is whole or absent."""
    if _report_fd < 0:
        return
    try:
        record["pid"] = os.getpid()
        test = os.environ.get("PYTEST_CURRENT_TEST")
        if test:
            record["test"] = test
        os.write(_report_fd, (_enc(record) + "\n").encode("ascii"))
    except Exception:
        pass


def _open_files(forked):
    global _report_fd, _stacks_fd
    for fd in (_report_fd, _stacks_fd):
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
    _report_fd = _stacks_fd = -1
    stem = os.path.join(_DIR, "p%d-%s" % (os.getpid(), os.urandom(4).hex()))
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    try:
        _report_fd = os.open(stem + ".jsonl", flags, 0o600)
    except OSError:
        return
    dump = 0
    if DUMP_SIGNAL:
        try:
            import faulthandler

            _stacks_fd = os.open(stem + ".stacks", flags, 0o600)
            faulthandler.register(DUMP_SIGNAL, file=_stacks_fd, all_threads=True, chain=False)
            dump = DUMP_SIGNAL
        except Exception:
            pass
    emit(
        {
            "kind": "hello",
            "ppid": os.getppid(),
            "argv": list(getattr(sys, "orig_argv", sys.argv)),
            "exe": sys.executable,
            "version": "%d.%d.%d" % sys.version_info[:3],
            "cwd": CWD,
            "stdlib": STDLIB,
            "role": _role,
            "forked": forked,
            "dumpSignal": dump,
            "stacks": os.path.basename(stem + ".stacks") if dump else None,
        }
    )


def _role_from_argv():
    argv = getattr(sys, "orig_argv", sys.argv)
    for arg in argv:
        if "--multiprocessing-fork" == arg:
            return "mp-child"
        if "multiprocessing.forkserver import main" in arg:
            return "forkserver"
        if "multiprocessing.resource_tracker import main" in arg or "multiprocessing.semaphore_tracker" in arg:
            return "resource-tracker"
    return "program"


# --------------------------------------------------------------------------- stacks


def capture(skip=1, limit=80):
    """The current thread's stack, innermost first, as (code, line, lasti): cheap, no strings."""
    try:
        f = sys._getframe(skip + 1)
    except ValueError:
        return []
    out = []
    while f is not None and len(out) < limit:
        out.append((f.f_code, f.f_lineno, f.f_lasti))
        f = f.f_back
    return out


def frame_kind(filename):
    """u: the user's code; l: the standard library or an installed package; i: spawnsafe; x: no file."""
    if not filename or filename[0] == "<":
        return "x"
    path = filename if os.path.isabs(filename) else os.path.join(CWD, filename)
    if path.startswith(HERE):
        return "i"
    if os.sep + "site-packages" + os.sep in path or os.sep + "dist-packages" + os.sep in path:
        return "l"
    if path.startswith(STDLIB + os.sep):
        return "l"
    return "u"


def is_stdlib(filename):
    path = abspath(filename)
    return path.startswith(STDLIB + os.sep) and os.sep + "site-packages" + os.sep not in path


def abspath(filename):
    if not filename or filename[0] == "<" or os.path.isabs(filename):
        return filename
    return os.path.normpath(os.path.join(CWD, filename))


def position(code, lasti, line):
    """(line, column, end line, end column) of the instruction at lasti, columns 1-based in characters."""
    try:
        pos = None
        for i, p in enumerate(code.co_positions()):
            if i == lasti // 2:
                pos = p
                break
        if pos is None or pos[0] is None or pos[2] is None:
            return None
        start, end, col, end_col = pos
        import linecache

        def chars(lineno, byte_col):
            text = linecache.getline(code.co_filename, lineno)
            return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1 if text else byte_col + 1

        return [start, chars(start, col), end or start, chars(end or start, end_col if end_col is not None else col)]
    except Exception:
        return None


def frames_out(frames, innermost_first=True):
    """Records of a captured stack, outermost first; the innermost user frame gets its columns."""
    seq = list(reversed(frames)) if innermost_first else list(frames)
    out = []
    user_at = -1
    kept = []
    for code, line, lasti in seq:
        kind = frame_kind(code.co_filename)
        if kind == "i":
            continue  # spawnsafe's own wrappers
        kept.append((code, line, lasti))
        out.append([abspath(code.co_filename), line or 0, code.co_name, kind])
        if kind == "u":
            user_at = len(out) - 1
    if user_at >= 0:
        code, line, lasti = kept[user_at]
        pos = position(code, lasti, line)
        if pos and pos[0] == line:
            out[user_at].append(pos[1:])
    return out


def traceback_frames(tb):
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame.f_code, tb.tb_lineno, tb.tb_lasti))
        tb = tb.tb_next
    return frames


def threads_now():
    """The threads alive now: name, daemon flag, and where each is (its innermost user frame)."""
    out = []
    try:
        frames = sys._current_frames()
    except Exception:
        frames = {}
    threading = sys.modules.get("threading")
    me = None
    try:
        import _thread

        me = _thread.get_ident()
    except Exception:
        pass
    known = {}
    if threading is not None:
        try:
            for t in threading.enumerate():
                known[t.ident] = t
        except Exception:
            pass
    for ident in sorted(set(frames) | set(known), key=lambda i: (i != me, str(i))):
        t = known.get(ident)
        where = None
        f = frames.get(ident)
        depth = 0
        while f is not None and depth < 60:
            if frame_kind(f.f_code.co_filename) == "u":
                where = [abspath(f.f_code.co_filename), f.f_lineno, f.f_code.co_name]
                break
            f = f.f_back
            depth += 1
        if where is None and frames.get(ident) is not None:
            f = frames[ident]
            where = [abspath(f.f_code.co_filename), f.f_lineno, f.f_code.co_name]
        out.append(
            {
                "name": t.name if t is not None else "thread %s" % ident,
                "daemon": bool(t.daemon) if t is not None else False,
                "current": ident == me,
                "at": where,
            }
        )
    return out


# --------------------------------------------------------------------------- values and pickling
# Here rather than in _spawnsafe_inspect: every spawned child describes the globals its parent
# named and its environment, and a put on a queue is pickled once more; none of that should
# cost the import of the analysis.

MISSING = object()
_SIMPLE = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (dict, list, set, frozenset, tuple, bytearray)


class _Null:
    """A file that keeps nothing: pickling into it costs the walk, not the copy."""

    def write(self, data):
        return len(data)


def dumps_error(obj):
    """The exception multiprocessing's pickler raises for obj, or None when it pickles."""
    try:
        from multiprocessing.reduction import ForkingPickler

        ForkingPickler(_Null()).dump(obj)
        return None
    except RecursionError as e:
        return e
    except Exception as e:
        return e


def dumps_ok(obj):
    return dumps_error(obj) is None


def type_name(obj):
    t = type(obj)
    module = getattr(t, "__module__", "") or ""
    name = getattr(t, "__qualname__", t.__name__)
    return name if module == "builtins" else "%s.%s" % (module, name)


def short_repr(obj, limit=100):
    try:
        text = repr(obj)
    except Exception:
        return "<%s>" % type_name(obj)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value):
    """["v", type, repr] a simple value; ["n", type, len] a container's size; ["t", type] anything else."""
    if value is MISSING:
        return ["missing"]
    if type(value) in _SIMPLE:
        return ["v", type_name(value), short_repr(value, 60)]
    if isinstance(value, _CONTAINERS) or type(value).__name__ == "deque":
        try:
            return ["n", type_name(value), len(value), contents(value)]
        except Exception:
            pass
    return ["t", type_name(value)]


# How much of a container contents() reads: items in all, and how deep it goes.
CONTENTS_ITEMS = 400
CONTENTS_DEPTH = 4


def contents(value):
    """A checksum of a container's contents, the same in every process for the same contents.

    Simple values count by their repr, containers by their items (a set's in sorted order, as
    its order changes with the hash seed), functions and classes by their qualified name,
    anything else by its type alone (a repr may hold an address). Bounded: the first
    CONTENTS_ITEMS items, CONTENTS_DEPTH levels down."""
    from zlib import crc32

    parts = []
    budget = [CONTENTS_ITEMS]

    def walk(v, depth, out):
        if budget[0] <= 0:
            return
        budget[0] -= 1
        t = type(v)
        if t in _SIMPLE:
            text = repr(v) if not (t is str or t is bytes) or len(v) <= 4096 else "%s:%d:%d" % (t.__name__, len(v), crc32(v[:4096].encode("utf-8", "surrogatepass") if t is str else v[:4096]))
            out.append(text)
        elif depth >= CONTENTS_DEPTH:
            out.append(t.__name__)
        elif t is dict or isinstance(v, dict):
            out.append("{")
            for k, x in list(v.items())[: budget[0]]:
                walk(k, depth + 1, out)
                walk(x, depth + 1, out)
            out.append("}")
        elif isinstance(v, (set, frozenset)):
            items = []
            for x in list(v)[: budget[0]]:
                one = []
                walk(x, depth + 1, one)
                items.append("|".join(one))
            out.append("{" + ",".join(sorted(items)) + "}")
        elif isinstance(v, (list, tuple, bytearray)) or t.__name__ == "deque":
            out.append("[")
            for x in list(v)[: budget[0]]:
                walk(x, depth + 1, out)
            out.append("]")
        elif callable(v) and hasattr(v, "__qualname__"):
            out.append("%s.%s" % (getattr(v, "__module__", "?"), v.__qualname__))
        else:
            out.append(type_name(v))

    walk(value, 0, parts)
    return crc32("\x00".join(parts).encode("utf-8", "surrogatepass"))


def environ(startup=None):
    """os.environ as crc32 of each value (values are never written); with `startup` (a child's
    os.environ when it began), also the names its own code has changed since."""
    out = {}
    changed = []
    try:
        from zlib import crc32

        now = dict(os.environ)
        for k, v in now.items():
            out[k] = crc32(v.encode("utf-8", "surrogateescape"))
        if startup is not None:
            changed = sorted(k for k in set(now) | set(startup) if now.get(k) != startup.get(k))
    except Exception:
        pass
    return out, changed


def observation(keys, startup):
    """In a child: the globals the parent described (module:name keys), and the environment."""
    values = {}
    for key in keys:
        module, _, name = key.partition(":")
        mod = sys.modules.get("__mp_main__" if module == "__main__" and "__mp_main__" in sys.modules else module)
        values[key] = describe(vars(mod).get(name, MISSING)) if mod is not None else ["missing"]
    env, changed = environ(startup)
    return {"globals": values, "env": env, "envChanged": changed, "files": {}, "stores": []}


# --------------------------------------------------------------------------- forks and subprocesses

_WATCH = frozenset(("os.fork", "os.forkpty", "subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn"))


def _audit(event, args):
    if event in _WATCH:
        try:
            if event == "os.fork" or event == "os.forkpty":
                _on_fork(event)
            else:
                _on_exec(event, args)
        except Exception:
            pass


def _origins_now():
    process, frames = _starting if _starting is not None else (None, [])
    site = None
    for code, _, _ in frames:
        if frame_kind(code.co_filename) == "u":
            site = abspath(code.co_filename)
            break
    return chosen_origins(process, site)


def _on_fork(event):
    global _fork_pending
    _fork_pending = True
    if _role == "forkserver":
        return  # the server forks children on behalf of the forkserver start method
    frames = capture(2)
    mp = any(code.co_filename.endswith(os.path.join("multiprocessing", "popen_fork.py")) for code, _, _ in frames)
    emit(
        {
            "kind": "fork",
            "call": event,
            "mp": mp,
            "stack": frames_out(frames),
            "threads": threads_now(),
            "origins": _quiet(_origins_now) or [] if mp else [],
        }
    )


def _after_fork_parent():
    global _fork_pending
    _fork_pending = False


def _after_fork_child():
    global _fork_pending, _role, _is_mp_child
    if not _fork_pending:
        return
    _fork_pending = False
    try:
        if _role == "forkserver":
            _role = "mp-child"
            _is_mp_child = True
        else:
            _role = "forked"
        _open_files(True)
    except Exception:
        pass


def _looks_like_python(path):
    if not path:
        return False
    try:
        base = os.path.basename(os.fsdecode(path))
        if base.startswith("python"):
            rest = base[6:]
            return all(c.isdigit() or c in ".mwtd" for c in rest)
        return os.path.realpath(os.fsdecode(path)) == os.path.realpath(sys.executable)
    except Exception:
        return False


def python_flags(argv):
    """Single-letter interpreter options before the script, -m or -c (-IS, -E, -W x ...)."""
    letters = set()
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if not isinstance(arg, str):
            try:
                arg = os.fsdecode(arg)
            except Exception:
                return letters
        if arg in ("-m", "-c", "-", "--") or not arg.startswith("-") or arg.startswith("--"):
            if arg.startswith("--") and arg != "--":
                continue  # --long options (e.g. --check-hash-based-pycs VALUE) are rare: ignored
            break
        body = arg[1:]
        for i, c in enumerate(body):
            if c in "WX":  # takes a value: the rest of this argument, or the next one
                skip = i == len(body) - 1
                break
            if c in "mc":  # -Im script: what follows is the module or the code
                letters.add(c)
                return letters
            letters.add(c)
    return letters


def _on_exec(event, args):
    """A program started or exec'd: when it is a Python that will not load spawnsafe, say so."""
    if event == "subprocess.Popen":
        executable, argv, env = args[0], args[1], args[3]
    elif event == "os.spawn":
        executable, argv, env = args[1], args[2], args[3]
    else:  # os.exec, os.posix_spawn: (path, args, env)
        executable, argv, env = args[0], args[1], args[2]
    if isinstance(argv, (str, bytes)):
        return  # a shell command line: the shell's python, if any, inherits our environment
    argv = list(argv or [])
    program = executable or (argv[0] if argv else None)
    if not _looks_like_python(program):
        return
    flags = python_flags(argv[1:])
    problem = None
    for letter, why in (("I", "-I (isolated mode) ignores PYTHONPATH"), ("E", "-E ignores PYTHONPATH"), ("S", "-S does not import site")):
        if letter in flags:
            problem = why
            break
    if problem is None and env is not None:
        try:
            items = dict(env)
            paths = os.fsdecode(items.get("PYTHONPATH") or items.get(b"PYTHONPATH") or "")
            has_dir = "SPAWNSAFE_VERIFY_DIR" in items or b"SPAWNSAFE_VERIFY_DIR" in items
        except Exception:
            return
        if HERE not in paths.split(os.pathsep) or not has_dir:
            problem = "its environment (env=) leaves out spawnsafe's PYTHONPATH entry or SPAWNSAFE_VERIFY_DIR"
    if problem is None:
        return
    emit(
        {
            "kind": "note",
            "what": "not-injected",
            "argv": [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv[:8]],
            "problem": problem,
            "stack": frames_out(capture(2)),
        }
    )


# --------------------------------------------------------------------------- patching after import


def _wrap(owner, name, make):
    orig = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if orig is None or getattr(orig, "__spawnsafe__", False):
        return
    inner = make(orig)

    def new(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except BaseException as e:
            hide(e)
            raise

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(new, attr, getattr(orig, attr))
        except Exception:
            pass
    new.__wrapped__ = orig
    new.__spawnsafe__ = True
    setattr(owner, name, new)


def _ours(tb):
    return tb.tb_frame.f_code.co_filename.startswith(HERE)


def hide(error):
    """Takes spawnsafe's own frames out of an exception's traceback on its way to the user's code.

    A bare `raise` after this adds no entry for the frame it runs in, so the traceback the
    user sees goes from their call straight into the standard library."""
    try:
        tb = error.__traceback__
        while tb is not None and _ours(tb):
            tb = tb.tb_next
        head = tb
        while tb is not None:
            after = tb.tb_next
            while after is not None and _ours(after):
                after = after.tb_next
            if after is not tb.tb_next:
                tb.tb_next = after
            tb = after
        error.__traceback__ = head
    except Exception:
        pass


def _inspect():
    module = sys.modules.get("_spawnsafe_inspect")
    if module is not None:
        return module
    # Compiled once per run and kept, as the recorder is (see sitecustomize.py).
    keep = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        import _spawnsafe_inspect
    finally:
        sys.dont_write_bytecode = keep
    return _spawnsafe_inspect


def _quiet(fn, *args):
    try:
        return fn(*args)
    except Exception:
        return None


def _patch_context(m):
    global _forced
    dc = getattr(m, "_default_context", None)
    forced = False
    try:
        if _METHOD != "keep" and dc is not None and hasattr(dc, "_default_context") and getattr(dc, "_actual_context", "unset") is None:
            # The fallback of the default context (fork on Linux before 3.14), not the chosen
            # one: set_start_method() without force still works, as it would have.
            global _native_method
            _native_method = dc._default_context._name
            dc._default_context = dc.get_context(_METHOD)
            forced = True
    except Exception:
        pass
    _forced = forced
    if not forced and _METHOD != "keep":
        emit({"kind": "note", "what": "not-forced", "problem": "could not make %s the default start method of multiprocessing" % _METHOD})

    base = getattr(m, "BaseContext", None)
    if base is not None:

        def make_get_context(orig):
            def get_context(self, method=None):
                if method == "fork":
                    _quiet(_record_choice, 'get_context("fork")', "context")
                elif _SITES and method in ("spawn", "forkserver"):
                    _quiet(_record_site, "get_context")
                return orig(self, method)

            return get_context

        _wrap(base, "get_context", make_get_context)
    default = getattr(m, "DefaultContext", None)
    if default is not None:

        def make_set_start_method(orig):
            def set_start_method(self, method, force=False):
                global _program_chose
                result = orig(self, method, force)
                # Recorded once it took: a call that raised "context has already been set" chose nothing.
                if method is not None:
                    _program_chose = True
                if method == "fork":
                    _quiet(_record_choice, 'set_start_method("fork")', "default")
                elif _SITES and method in ("spawn", "forkserver"):
                    _quiet(_record_site, "set_start_method")
                return result

            return set_start_method

        def make_get_start_method(orig):
            def get_start_method(self, allow_none=False):
                method = orig(self, allow_none)
                if _forced and not _program_chose and method is not None:
                    _quiet(_on_method_read, method)
                return method

            return get_start_method

        _wrap(default, "set_start_method", make_set_start_method)
        _wrap(default, "get_start_method", make_get_start_method)


# The start method the interpreter itself would have used (before verify made another the default).
_native_method = None
_forced = False
# The program called set_start_method(): reads of the method then answer the program's own choice.
_program_chose = False
_method_reads = set()


_sites_seen = set()


def _record_site(how):
    """The line outside spawnsafe and the standard library that chose spawn (once per line)."""
    f = sys._getframe(1)
    while f is not None and (f.f_code.co_filename.startswith(HERE) or is_stdlib(f.f_code.co_filename)):
        f = f.f_back
    if f is None:
        return
    key = (f.f_code.co_filename, f.f_lineno)
    if key in _sites_seen:
        return
    _sites_seen.add(key)
    emit({"kind": "site", "how": how, "file": abspath(f.f_code.co_filename), "line": f.f_lineno})


def _record_choice(how, scope):
    """Where fork was chosen; the latest choice of each place last (at most 10 places)."""
    out = frames_out(capture(4))
    key = None
    for f in reversed(out):
        if f[3] == "u":
            key = (f[0], f[1])
            break
    for o in fork_origins:
        if o["_key"] == key:
            fork_origins.remove(o)
            break
    if len(fork_origins) >= 10:
        del fork_origins[0]
    fork_origins.append({"how": how, "stack": out, "_key": key, "_scope": scope})


def chosen_origins(process, site):
    """The fork choices, the one that made this process fork first (marked chosen).

    A process of an explicit fork context was made by a get_context("fork"): the latest one in
    the file that started it, else the latest anywhere (contexts are shared, so which call
    handed this one out cannot be told apart). A process of the default context forks because
    of the set_start_method("fork") in effect: the latest."""
    explicit = getattr(process, "_start_method", None) == "fork"
    scope = "context" if explicit else "default"
    candidates = [o for o in fork_origins if o["_scope"] == scope]
    chosen = None
    if explicit and site is not None:
        same = [o for o in candidates if o["_key"] is not None and o["_key"][0] == site]
        chosen = same[-1] if same else None
    if chosen is None and candidates:
        chosen = candidates[-1]
    out = []
    for o in ([chosen] if chosen is not None else []) + [o for o in reversed(fork_origins) if o is not chosen]:
        record = {"how": o["how"], "stack": o["stack"]}
        if o is chosen:
            record["chosen"] = True
        out.append(record)
    return out


def _on_method_read(method):
    """User code (or a library it called) read the start method verify made the default."""
    frames = capture(4)
    caller = None
    for code, _, _ in frames:
        if not code.co_filename.startswith(HERE):
            caller = code
            break
    # multiprocessing reads it itself (spawn's preparation data): only other code counts.
    if caller is None or is_stdlib(caller.co_filename):
        return
    out = frames_out(frames)
    site = None
    for f in reversed(out):
        if f[3] == "u":
            site = (f[0], f[1])
            break
    if site in _method_reads or len(_method_reads) >= 50:
        return
    _method_reads.add(site)
    emit({"kind": "method-read", "method": method, "native": _native_method, "stack": out})


def _effective_method(process):
    method = getattr(process, "_start_method", None)
    if method:
        return method
    mpc = sys.modules.get("multiprocessing.context")
    try:
        # Read directly: get_start_method() is watched for the program's own reads.
        dc = mpc._default_context
        return (dc._actual_context or dc._default_context)._name
    except Exception:
        return _METHOD


def _patch_process(m):
    base = m.BaseProcess

    def make_start(orig):
        def start(self):
            __tracebackhide__ = True  # noqa: F841 (pytest hides this frame)
            before = _quiet(_before_start, self)
            try:
                orig(self)
            finally:
                self.__dict__.pop("_spawnsafe_token", None)
            if before is not None:
                _quiet(_after_start, self, before)

        return start

    def make_bootstrap(orig):
        def _bootstrap(self, *args, **kwargs):
            _quiet(_on_bootstrap, self)
            return orig(self, *args, **kwargs)

        return _bootstrap

    _wrap(base, "start", make_start)
    _wrap(base, "_bootstrap", make_bootstrap)


def _before_start(process):
    global _tokens, last_start_site, _starting
    frames = capture(3)
    _starting = (process, frames)
    if any(frame_kind(code.co_filename) == "u" for code, _, _ in frames):
        last_start_site = frames
    elif last_start_site is not None:
        frames = last_start_site
    method = _effective_method(process)
    token = None
    snapshot = None
    owner = _inspect().worker_owner(process)
    if method in ("spawn", "forkserver"):
        if _tokens is None:
            import itertools

            _tokens = itertools.count(1)
        token = "%d:%d" % (os.getpid(), next(_tokens))
        snapshot = _inspect().process_snapshot(process)
        # Travels with the pickled process: the child describes the same globals, without
        # reading any bytecode itself.
        process._spawnsafe_token = (token, list(snapshot["globals"]))
    return (method, frames, token, snapshot, owner, _inspect().target_name(process))


def _after_start(process, before):
    global _starting
    _starting = None
    method, frames, token, snapshot, owner, target = before
    site = frames_out(frames)
    emit({"kind": "start", "child": process.pid, "method": method, "token": token, "target": target, "owner": owner, "stack": site})
    if snapshot is not None:
        snapshot.update({"kind": "snapshot", "token": token, "stack": site, "what": "process", "method": method})
        emit(snapshot)


def _on_bootstrap(process):
    global _is_mp_child, _mp_parent_pid, init_stores, _my_token
    _is_mp_child = True
    _mp_parent_pid = getattr(process, "_parent_pid", 0) or os.getppid()
    carried = process.__dict__.pop("_spawnsafe_token", None)
    args = getattr(process, "_args", None) or ()
    if getattr(getattr(process, "_target", None), "__name__", None) in ("worker", "_process_worker") and len(args) > 2 and args[2] is not None:
        init_stores = _inspect().initializer_stores(process)
    if carried is not None:
        token, keys = carried
        _my_token = token
        observed = observation(keys, _startup_env)
        observed.update({"kind": "observed", "token": token})
        emit(observed)


def _patch_reduction(m):
    def make_dump(orig):
        def dump(obj, file, protocol=None):
            __tracebackhide__ = True  # noqa: F841
            try:
                return orig(obj, file, protocol)
            except Exception as e:
                # Still inside the launch: objects that only pickle while spawning (locks,
                # queues) are judged as the real dump judged them.
                _quiet(_on_launch_failure, obj, e)
                raise

        return dump

    _wrap(m, "dump", make_dump)


def _on_launch_failure(obj, error):
    process_mod = sys.modules.get("multiprocessing.process")
    if process_mod is None or not isinstance(obj, process_mod.BaseProcess):
        return
    frames = capture(3)
    ins = _inspect()
    found = ins.find_failure(ins.process_roots(obj))
    if found is None:
        found = ins.failure_record("process", obj, error)
    found.update({"kind": "pickle", "via": "start", "method": _effective_method(obj), "target": ins.target_name(obj), "stack": frames_out(frames)})
    emit(found)


def _patch_spawn(m):
    def make_main(orig):
        def _main(*args, **kwargs):
            try:
                return orig(*args, **kwargs)
            except BaseException as e:
                if not isinstance(e, KeyboardInterrupt):
                    _quiet(_on_child_failure, e, "start")
                raise

        return _main

    _wrap(m, "_main", make_main)


def _on_child_failure(error, phase):
    record = {"kind": "child-failure", "phase": phase, "etype": type(error).__name__, "error": _inspect().error_text(error), "stack": frames_out(traceback_frames(error.__traceback__), innermost_first=False)}
    missing = _inspect().missing_attribute(error)
    if missing is not None:
        record["missing"] = missing
    emit(record)


def precheck(via, roots, frames, task=None, owner=None):
    """Pickle what is handed over, as the background thread will; record a failure with the caller's stack.

    A task's function also gets its globals described, once per pool (owner) and function.
    """
    if dumps_ok(tuple(obj for _, obj in roots)):
        if task is not None and owner is not None:
            _task_snapshot(task, frames, owner)
        return
    ins = _inspect()
    found = ins.find_failure(roots)
    if found is None:
        return
    found.update({"kind": "pickle", "via": via, "target": ins.callable_name(roots[0][1]) if roots else None, "stack": frames_out(frames)})
    emit(found)


def _task_snapshot(func, frames, owner):
    ins = _inspect()
    task = ins.task_key(func)
    if task is None or (owner, task) in _snapshotted_tasks:
        return
    _snapshotted_tasks.add((owner, task))
    snapshot = ins.snapshot([func], _startup_env)
    snapshot.update({"kind": "snapshot", "token": "task:%s:%s" % (owner, task), "stack": frames_out(frames), "what": "task"})
    emit(snapshot)


def _owner(queue):
    """A pool or executor, named by the queue its workers read tasks from (their first argument)."""
    return "%d:%d" % (os.getpid(), id(queue))


def _patch_pool(m):
    thread_pool = getattr(m, "ThreadPool", None)

    def is_threads(pool):
        return thread_pool is not None and isinstance(pool, thread_pool)

    def make_apply_async(orig):
        def apply_async(self, func, args=(), kwds={}, *rest, **kw):
            __tracebackhide__ = True  # noqa: F841
            if not is_threads(self):
                _quiet(precheck, "Pool.apply_async", [("func", func), ("args", args), ("kwds", kwds)], capture(1), func, _owner(getattr(self, "_inqueue", self)))
            return orig(self, func, args, kwds, *rest, **kw)

        return apply_async

    def make_map(orig, via):
        def mapper(self, func, iterable, *rest, **kw):
            __tracebackhide__ = True  # noqa: F841
            if not is_threads(self):
                if not hasattr(iterable, "__len__"):
                    iterable = list(iterable)  # as Pool itself does, first thing
                _quiet(precheck, via, [("func", func), ("iterable", iterable)], capture(1), func, _owner(getattr(self, "_inqueue", self)))
            return orig(self, func, iterable, *rest, **kw)

        return mapper

    def make_imap(orig, via):
        def imapper(self, func, iterable, *rest, **kw):
            __tracebackhide__ = True  # noqa: F841
            if not is_threads(self):
                frames = capture(1)
                _quiet(precheck, via, [("func", func)], frames, func, _owner(getattr(self, "_inqueue", self)))
                iterable = _checked_items(via, iterable, frames)
            return orig(self, func, iterable, *rest, **kw)

        return imapper

    pool = m.Pool
    _wrap(pool, "apply_async", make_apply_async)
    for name in ("map", "map_async", "starmap", "starmap_async"):
        _wrap(pool, name, lambda orig, n=name: make_map(orig, "Pool." + n))
    for name in ("imap", "imap_unordered"):
        _wrap(pool, name, lambda orig, n=name: make_imap(orig, "Pool." + n))


def _checked_items(via, iterable, frames):
    """imap's items are pickled as the pool's task thread takes them: check each there, report at the call."""
    for i, item in enumerate(iterable):
        try:
            if not dumps_ok(item):
                found = _inspect().find_failure([("iterable[%d]" % i, item)])
                if found is not None:
                    found.update({"kind": "pickle", "via": via, "target": None, "stack": frames_out(frames)})
                    emit(found)
        except Exception:
            pass
        yield item


def _patch_futures(m):
    executor = getattr(m, "ProcessPoolExecutor", None)
    if executor is None:
        return

    def make_submit(orig):
        def submit(self, fn, /, *args, **kwargs):
            __tracebackhide__ = True  # noqa: F841
            _quiet(_check_submit, fn, args, kwargs, capture(1), _owner(getattr(self, "_call_queue", self)))
            return orig(self, fn, *args, **kwargs)

        return submit

    _wrap(executor, "submit", make_submit)


def _check_submit(fn, args, kwargs, frames, owner):
    ins = _inspect()
    chunk = ins.map_chunk(fn)
    if chunk is not None:  # Executor.map: submit(partial(_process_chunk, fn), chunk of argument tuples)
        user_fn = chunk
        items = []
        for call in args[0] if args else ():
            for j, value in enumerate(call):
                # The items' indexes in the iterables are not known here: `item`, or `item[j]`
                # for the j-th iterable of map(fn, a, b).
                items.append(("item" if len(call) == 1 else "item[%d]" % j, value))
        precheck("ProcessPoolExecutor.map", [("fn", user_fn)] + items, frames, user_fn, owner)
    else:
        precheck("ProcessPoolExecutor.submit", [("fn", fn), ("args", args), ("kwargs", kwargs)], frames, fn, owner)


def _patch_queues(m):
    def make_put(orig, via):
        def put(self, obj, *args, **kwargs):
            __tracebackhide__ = True  # noqa: F841
            # concurrent.futures' call queue carries work items already checked at submit().
            if type(self).__module__ != "concurrent.futures.process":
                _quiet(precheck, via, [("item", obj)], capture(1))
            return orig(self, obj, *args, **kwargs)

        return put

    def make_simple_put(orig):
        def put(self, obj):
            __tracebackhide__ = True  # noqa: F841
            try:
                return orig(self, obj)
            except Exception as e:
                _quiet(_on_sync_failure, "SimpleQueue.put", [("item", obj)], e)
                raise

        return put

    def make_get(orig):
        def get(self, *args, **kwargs):
            __tracebackhide__ = True  # noqa: F841
            try:
                obj = orig(self, *args, **kwargs)
            except Exception as e:
                if _is_mp_child:
                    _quiet(_on_task_failure, e)
                raise
            if _is_mp_child:
                _quiet(_observe_task, obj)
            return obj

        return get

    _wrap(m.Queue, "put", lambda orig: make_put(orig, "Queue.put"))
    if "put" in m.JoinableQueue.__dict__:
        _wrap(m.JoinableQueue, "put", lambda orig: make_put(orig, "JoinableQueue.put"))
    _wrap(m.SimpleQueue, "put", make_simple_put)
    _wrap(m.SimpleQueue, "get", make_get)
    _wrap(m.Queue, "get", make_get)


def _on_sync_failure(via, roots, error):
    frames = capture(3)
    if not any(frame_kind(code.co_filename) == "u" for code, _, _ in frames):
        return  # multiprocessing's own threads (results of a pool): reported where handed over
    # Whether it was a pickling failure at all (not a closed pipe): the walk pickles again.
    found = _inspect().find_failure(roots)
    if found is None:
        return
    found.update({"kind": "pickle", "via": via, "target": None, "stack": frames_out(frames)})
    emit(found)


def _on_task_failure(error):
    ins = _inspect()
    if ins.is_unpickling_error(error):
        _on_child_failure(error, "task")


def _observe_task(obj):
    # Pool tasks are 5-tuples, executor tasks _CallItem: anything else a child reads is not a task.
    if not ((type(obj) is tuple and len(obj) == 5) or type(obj).__name__ == "_CallItem"):
        return
    ins = _inspect()
    func = ins.task_function(obj)
    if func is None:
        return
    task = ins.task_key(func)
    if task is None or task in _observed_tasks or _my_token is None:
        return
    _observed_tasks.add(task)
    observed = ins.snapshot([func], _startup_env)
    # Paired with the parent's snapshot through this worker's start record (its owner).
    observed.update({"kind": "observed", "token": None, "task": task, "worker": _my_token, "skip": list(init_stores)})
    emit(observed)


def _patch_connection(m):
    base = getattr(m, "_ConnectionBase", None)
    if base is None:
        return

    def make_send(orig):
        def send(self, obj):
            __tracebackhide__ = True  # noqa: F841
            try:
                return orig(self, obj)
            except Exception as e:
                _quiet(_on_sync_failure, "Connection.send", [("obj", obj)], e)
                raise

        return send

    _wrap(base, "send", make_send)


_PATCHES = {
    "multiprocessing.context": _patch_context,
    "multiprocessing.process": _patch_process,
    "multiprocessing.reduction": _patch_reduction,
    "multiprocessing.spawn": _patch_spawn,
    "multiprocessing.pool": _patch_pool,
    "multiprocessing.queues": _patch_queues,
    "multiprocessing.connection": _patch_connection,
    "concurrent.futures.process": _patch_futures,
}
_pending = {}


def _apply(name, module):
    if getattr(module, "__spawnsafe_patched__", False):
        return
    try:
        module.__spawnsafe_patched__ = True
        _PATCHES[name](module)
    except Exception:
        pass


class _Loader:
    """Runs the real loader, then patches the module it made."""

    def __init__(self, real, name):
        self._real = real
        self._name = name

    def __getattr__(self, attr):
        return getattr(self._real, attr)

    def create_module(self, spec):
        return self._real.create_module(spec)

    def exec_module(self, module):
        try:
            self._real.exec_module(module)
        except BaseException as e:
            hide(e)
            raise
        _apply(self._name, module)


class _Finder:
    """A meta-path entry that answers only for the modules above, through the finders after it."""

    def __init__(self):
        self._resolving = set()

    def find_spec(self, name, path=None, target=None):
        if name not in _pending or name in self._resolving:
            return None
        self._resolving.add(name)
        try:
            spec = None
            for finder in sys.meta_path:
                if finder is self:
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    break
        finally:
            self._resolving.discard(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        # Still pending: importlib.util.find_spec() asks without importing. _apply patches once.
        spec.loader = _Loader(spec.loader, name)
        return spec

    def invalidate_caches(self):
        pass


def install():
    global _installed, _role, _is_mp_child, _startup_env
    if _installed or not _DIR:
        return
    _installed = True
    try:
        _role = _role_from_argv()
        _is_mp_child = _role == "mp-child"
        _startup_env = dict(os.environ)
        _open_files(False)
        if _report_fd < 0:
            return
        sys.addaudithook(_audit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_parent=_after_fork_parent, after_in_child=_after_fork_child)
        for name in _PATCHES:
            if name in sys.modules:
                _apply(name, sys.modules[name])
            else:
                _pending[name] = True
        sys.meta_path.insert(0, _Finder())
    except Exception:
        pass
