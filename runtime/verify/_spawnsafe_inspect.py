"""spawnsafe verify: the analysis the recorder runs when a process starts or something fails.

Imported on first use by _spawnsafe_verify (never at start-up of a process that starts no
processes). Everything here returns plain data (str, int, list, dict) for the records.
"""

import functools
import os
import pickle
import re
import sys
import types

import _spawnsafe_verify as core

_MISSING = core.MISSING
dumps_error = core.dumps_error
dumps_ok = core.dumps_ok
type_name = core.type_name
short_repr = core.short_repr
describe = core.describe
_environ = core.environ


# --------------------------------------------------------------------------- pickling


def error_text(error):
    return "%s: %s" % (type(error).__name__, " ".join(str(error).split()))


def _children(obj, path):
    """(path, child) for what pickle stores of obj, in pickle's order."""
    t = type(obj)
    if t is tuple or t is list or isinstance(obj, (tuple, list)):
        for i, x in enumerate(obj[:1000]):
            yield "%s[%d]" % (path, i), x
        return
    if isinstance(obj, dict):
        for i, (k, v) in enumerate(list(obj.items())[:1000]):
            yield "%s[%s]" % (path, short_repr(k, 40)), v
            yield "%s: key %s" % (path, short_repr(k, 40)), k
        return
    if isinstance(obj, (set, frozenset)):
        for i, x in enumerate(list(obj)[:1000]):
            yield "%s: item %d" % (path, i), x
        return
    if isinstance(obj, types.MethodType):
        owner = "self" if path in ("target", "func", "fn", "initializer") else path + ".__self__"
        yield owner, obj.__self__
        yield path + ".__func__", obj.__func__
        return
    if isinstance(obj, functools.partial):
        yield path + ".func", obj.func
        for i, x in enumerate(obj.args):
            yield "%s.args[%d]" % (path, i), x
        for k, v in (obj.keywords or {}).items():
            yield "%s.keywords[%r]" % (path, k), v
        return
    process_mod = sys.modules.get("multiprocessing.process")
    if process_mod is not None and isinstance(obj, process_mod.BaseProcess):
        for name, child in process_roots(obj):
            yield name, child
        return
    try:
        reduced = obj.__reduce_ex__(4)
    except Exception:
        return
    if not isinstance(reduced, tuple):
        return
    state = reduced[2] if len(reduced) > 2 else None
    slots = None
    if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)) and isinstance(state[1], dict):
        state, slots = state
    prefix = "self" if path == "self" else path
    for d in (state, slots):
        if isinstance(d, dict):
            for k, v in d.items():
                yield "%s.%s" % (prefix, k), v
    if len(reduced) > 1 and isinstance(reduced[1], tuple):
        for i, x in enumerate(reduced[1]):
            if x is type(obj):
                continue
            yield "%s (constructor argument %d)" % (path, i), x


def _descend(obj, path, error, depth, seen):
    if depth >= 10 or id(obj) in seen:
        return path, obj, error
    seen.add(id(obj))
    try:
        children = list(_children(obj, path))
    except Exception:
        children = []
    for child_path, child in children:
        child_error = dumps_error(child)
        if child_error is not None:
            return _descend(child, child_path, child_error, depth + 1, seen)
    return path, obj, error


def find_failure(roots):
    """The first root that does not pickle, walked down to the object that makes it fail."""
    for name, obj in roots:
        error = dumps_error(obj)
        if error is None:
            continue
        path, leaf, leaf_error = _descend(obj, name, error, 0, set())
        return {"root": name, "path": path, "type": type_name(leaf), "repr": short_repr(leaf), "error": error_text(leaf_error)}
    return None


def failure_record(name, obj, error):
    return {"root": name, "path": name, "type": type_name(obj), "repr": short_repr(obj), "error": error_text(error)}


def is_unpickling_error(error):
    if isinstance(error, (EOFError, OSError)):
        return False  # the pipe closed: a worker told to stop
    return isinstance(error, (AttributeError, ImportError, pickle.UnpicklingError, TypeError, ValueError, IndexError, KeyError))


# --------------------------------------------------------------------------- what runs in the child


def _pool_worker_args(process):
    """(initializer, initargs) when the process is a Pool's or a ProcessPoolExecutor's worker."""
    target = getattr(process, "_target", None)
    pool = sys.modules.get("multiprocessing.pool")
    futures = sys.modules.get("concurrent.futures.process")
    workers = [getattr(pool, "worker", None), getattr(futures, "_process_worker", None)]
    if target is None or not any(target is w or getattr(target, "__wrapped__", None) is w for w in workers if w is not None):
        return None
    args = tuple(getattr(process, "_args", ()) or ())
    return (args[2] if len(args) > 2 else None, args[3] if len(args) > 3 else ())


# What BaseProcess itself keeps on the instance (3.8 to 3.14); anything else a subclass added.
_PROCESS_ATTRS = frozenset(("_identity", "_config", "_parent_pid", "_parent_name", "_popen", "_closed", "_target", "_name", "_args", "_kwargs"))


def process_roots(process):
    """What crosses with a Process object, named as the user wrote it."""
    worker = _pool_worker_args(process)
    if worker is not None:
        return [("initializer", worker[0]), ("initargs", worker[1])]
    roots = []
    target = getattr(process, "_target", None)
    if target is not None:
        roots.append(("target", target))
    roots.append(("args", tuple(getattr(process, "_args", ()) or ())))
    roots.append(("kwargs", dict(getattr(process, "_kwargs", {}) or {})))
    for key, value in vars(process).items():
        if key in _PROCESS_ATTRS or key.startswith("_spawnsafe"):
            continue
        roots.append(("self." + key, value))
    return roots


def callable_name(obj):
    if obj is None:
        return None
    inner = obj
    if isinstance(inner, functools.partial):
        inner = inner.func
    if isinstance(inner, types.MethodType):
        inner = inner.__func__
    return getattr(inner, "__qualname__", None) or type_name(obj)


def target_name(process):
    worker = _pool_worker_args(process)
    if worker is not None:
        return "pool worker" + (" (initializer %s)" % callable_name(worker[0]) if worker[0] is not None else "")
    target = getattr(process, "_target", None)
    if target is not None:
        return callable_name(target)
    return "%s.run" % type(process).__qualname__


def _code_roots(process):
    worker = _pool_worker_args(process)
    if worker is not None:
        return [worker[0]] if worker[0] is not None else []
    target = getattr(process, "_target", None)
    if target is not None:
        return [target]
    run = getattr(type(process), "run", None)
    base = sys.modules.get("multiprocessing.process")
    if run is not None and base is not None and run is not base.BaseProcess.run:
        return [run]
    return []


def _function_of(obj):
    for _ in range(5):
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif isinstance(obj, (types.MethodType, staticmethod, classmethod)):
            obj = obj.__func__
        else:
            break
    if isinstance(obj, types.FunctionType):
        return obj
    call = getattr(type(obj), "__call__", None)
    return call if isinstance(call, types.FunctionType) else None


def module_name(name):
    return "__main__" if name == "__mp_main__" else name


def _is_user_file(path):
    return bool(path) and core.frame_kind(path) == "u"


_walks = {}


def _walk(roots):
    """Globals the roots read (name, or module.attr of an imported project module), and those they assign.

    Worked out once per set of root functions: a program that starts the same target a
    hundred times reads its bytecode once.
    """
    functions = [_function_of(root) for root in roots]
    key = tuple(f.__code__ for f in functions if f is not None)
    cached = _walks.get(key)
    if cached is None:
        cached = _walks[key] = _walk_code(functions)
    return cached


def _walk_code(functions):
    import dis

    reads = {}
    stores = set()
    files = {}
    todo = []
    for f in functions:
        if f is not None:
            todo.append((f.__code__, f.__globals__))
    seen = set()
    builtins = __builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)
    while todo and len(seen) < 300:
        code, g = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        mod = module_name(g.get("__name__", "?"))
        if g.get("__file__"):
            files[mod] = core.abspath(g["__file__"])
        previous_module = None
        for ins in dis.get_instructions(code):
            op = ins.opname
            module_here = None
            if op in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str):
                name = ins.argval
                value = g.get(name, _MISSING)
                if isinstance(value, types.ModuleType):
                    if _is_user_file(getattr(value, "__file__", None)):
                        module_here = value
                elif _follow(value, todo):
                    pass
                elif value is _MISSING and name in builtins:
                    pass
                elif not _is_code_like(value):
                    reads["%s:%s" % (mod, name)] = (g, name)
            elif op in ("LOAD_ATTR", "LOAD_METHOD") and previous_module is not None and isinstance(ins.argval, str):
                attr = ins.argval
                mg = vars(previous_module)
                value = mg.get(attr, _MISSING)
                if isinstance(value, types.ModuleType):
                    pass
                elif _follow(value, todo):
                    pass
                elif not _is_code_like(value):
                    other = module_name(previous_module.__name__)
                    files[other] = core.abspath(getattr(previous_module, "__file__", "") or "")
                    reads["%s:%s" % (other, attr)] = (mg, attr)
            elif op in ("STORE_GLOBAL", "DELETE_GLOBAL") and isinstance(ins.argval, str):
                stores.add("%s:%s" % (mod, ins.argval))
            previous_module = module_here
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                todo.append((const, g))
    return reads, stores, files


def _is_code_like(value):
    return isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, functools.partial))


def _follow(value, todo):
    """Functions and classes of the project that the code calls: their reads count too."""
    if isinstance(value, types.FunctionType):
        if _is_user_file(value.__code__.co_filename):
            todo.append((value.__code__, value.__globals__))
        return True
    if isinstance(value, type):
        module = sys.modules.get(getattr(value, "__module__", ""), None)
        if module is not None and _is_user_file(getattr(module, "__file__", None)):
            for attr in vars(value).values():
                f = _function_of(attr) if not isinstance(attr, property) else _function_of(attr.fget)
                if f is not None:
                    todo.append((f.__code__, f.__globals__))
        return True
    return False


def snapshot(roots, startup=None):
    """The globals the roots read and the environment, described for comparison across processes."""
    reads, stores, files = _walk(roots)
    values = {}
    for key, (g, name) in sorted(reads.items())[:200]:
        if key in stores:
            continue
        values[key] = describe(g.get(name, _MISSING))
    env, changed = _environ(startup)
    return {"globals": values, "env": env, "envChanged": changed, "files": files, "stores": sorted(stores)}


def process_snapshot(process):
    return snapshot(_code_roots(process), core._startup_env)


def initializer_stores(process):
    worker = _pool_worker_args(process)
    if worker is None or worker[0] is None:
        return ()
    _, stores, _ = _walk([worker[0]])
    return tuple(sorted(stores))


def task_key(func):
    """module:qualname of a task's function, the same in the parent and in a child."""
    f = _function_of(func)
    if f is None:
        return None
    return "%s:%s" % (module_name(getattr(f, "__module__", "?") or "?"), f.__qualname__)


def worker_owner(process):
    """For a pool's or executor's worker: its pool, named as _spawnsafe_verify._owner names it."""
    if _pool_worker_args(process) is None:
        return None
    args = getattr(process, "_args", ()) or ()
    return "%d:%d" % (os.getpid(), id(args[0])) if args else None


def map_chunk(fn):
    """The user's function of ProcessPoolExecutor.map, which submits partial(_process_chunk, fn)."""
    if isinstance(fn, functools.partial) and getattr(fn.func, "__name__", "") == "_process_chunk" and fn.args:
        return fn.args[0]
    return None


def task_function(obj):
    """The user function of a pool task (job, i, func, args, kwds) or an executor's call item."""
    if type(obj) is tuple and len(obj) == 5 and type(obj[1]) is int:
        func = obj[2]
        pool = sys.modules.get("multiprocessing.pool")
        if pool is not None and func in (getattr(pool, "mapstar", None), getattr(pool, "starmapstar", None)):
            try:
                func = obj[3][0][0]  # (job, i, mapstar, ((func, chunk),), {})
            except Exception:
                return None
        return func
    if type(obj).__name__ == "_CallItem":
        fn = getattr(obj, "fn", None)
        return map_chunk(fn) or fn
    return None


# --------------------------------------------------------------------------- failures in a child

_CANT_GET = re.compile(r"Can't get attribute '([^']+)' on <module '([^']+)'")


def missing_attribute(error):
    """Where the name a child could not find is defined in the parent's source, and whether under the main guard."""
    if not isinstance(error, AttributeError):
        return None
    m = _CANT_GET.search(str(error))
    if not m:
        return None
    name, module = m.group(1), m.group(2)
    found = {"name": name, "module": module_name(module)}
    mod = sys.modules.get(module) or (sys.modules.get("__main__") if module in ("__mp_main__", "__main__") else None)
    path = getattr(mod, "__file__", None)
    if path:
        found["file"] = core.abspath(path)
        definition = find_definition(found["file"], name.split(".")[0])
        if definition is not None:
            found.update(definition)
    return found


def _is_main_guard(test):
    import ast

    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)


def find_definition(path, name):
    import ast

    try:
        with open(path, "rb") as f:
            source = f.read()
        tree = ast.parse(source)
    except Exception:
        return None
    lines = source.splitlines()
    hits = []

    def defines(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name == name
        if isinstance(node, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        if isinstance(node, ast.AnnAssign):
            return isinstance(node.target, ast.Name) and node.target.id == name
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return any((a.asname or a.name.split(".")[0]) == name for a in node.names)
        return False

    def visit(body, guarded):
        for node in body:
            if defines(node):
                hits.append((node, guarded))
            if isinstance(node, ast.If):
                visit(node.body, guarded or _is_main_guard(node.test))
                visit(node.orelse, guarded)
            elif isinstance(node, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
                visit(node.body, guarded)
            elif isinstance(node, ast.Try):
                for part in (node.body, node.orelse, node.finalbody):
                    visit(part, guarded)
                for handler in node.handlers:
                    visit(handler.body, guarded)

    visit(tree.body, False)
    if not hits:
        return None
    node, guarded = hits[0]
    line = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else b""
    col = len(line[: node.col_offset].decode("utf-8", "replace")) + 1
    return {"line": node.lineno, "col": col, "guarded": guarded}
