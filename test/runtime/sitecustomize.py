"""spawnsafe runtime harness: count every os.fork() of a program and its children.

Loaded automatically by CPython's ``site`` module when this directory is on
PYTHONPATH (it then shadows any other ``sitecustomize``, which is chained to
below so that the interpreter still behaves as it would without us).

Environment:

SPAWNSAFE_FORK_LOG
    A file name. Every call to ``os.fork`` / ``os.forkpty`` appends one line
    to it (opened in append mode, written, closed: safe across processes).
    The line is ``<pid>\t<ppid>\t<role>\t<caller>`` where ``role`` is
    ``forkserver`` when the caller is the forkserver's own loop (a fork from the
    single-threaded server process, made on behalf of --method forkserver) and
    ``program`` otherwise. ``multiprocessing`` under spawn uses
    ``_posixsubprocess.fork_exec`` and never reaches ``os.fork``.

SPAWNSAFE_START_METHOD
    Optional: ``fork``, ``spawn`` or ``forkserver``. Changes the *default*
    context of ``multiprocessing`` (what ``Pool()``, ``Process()`` and
    ``ProcessPoolExecutor()`` use when no context is given) without "setting"
    it, so the program's own ``set_start_method(...)`` still works (and still
    raises "context has already been set" exactly where it would).
"""

import os
import sys

_LOG = os.environ.get("SPAWNSAFE_FORK_LOG")
_METHOD = os.environ.get("SPAWNSAFE_START_METHOD")
_HERE = os.path.dirname(os.path.abspath(__file__))


def _log_fork(kind):
    try:
        caller = sys._getframe(2)
        where = "%s:%d:%s" % (caller.f_code.co_filename, caller.f_lineno, caller.f_code.co_name)
    except Exception:  # pragma: no cover - no frame
        where = "?"
    role = "forkserver" if where.replace("\\", "/").find("multiprocessing/forkserver.py") >= 0 else "program"
    line = "%d\t%d\t%s\t%s\t%s\n" % (os.getpid(), os.getppid(), role, kind, where)
    try:
        fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8", "backslashreplace"))
        finally:
            os.close(fd)
    except OSError:
        pass


def _install_fork_counter():
    real_fork = os.fork

    def fork():
        _log_fork("fork")
        return real_fork()

    fork.__wrapped__ = real_fork
    fork.__name__ = real_fork.__name__
    fork.__qualname__ = getattr(real_fork, "__qualname__", "fork")
    fork.__doc__ = real_fork.__doc__
    os.fork = fork

    real_forkpty = getattr(os, "forkpty", None)
    if real_forkpty is not None:
        def forkpty():
            _log_fork("forkpty")
            return real_forkpty()

        forkpty.__wrapped__ = real_forkpty
        forkpty.__name__ = real_forkpty.__name__
        forkpty.__qualname__ = getattr(real_forkpty, "__qualname__", "forkpty")
        forkpty.__doc__ = real_forkpty.__doc__
        os.forkpty = forkpty


def _patch_default_context(context_module):
    try:
        concrete = context_module._concrete_contexts[_METHOD]
    except (AttributeError, KeyError):
        return
    default = context_module._default_context
    # DefaultContext keeps the method it falls back to in _default_context and
    # the one chosen by set_start_method()/first use in _actual_context.
    if getattr(default, "_actual_context", None) is None:
        default._default_context = concrete


class _AfterImport:
    """Meta-path hook: patch multiprocessing.context right after it is executed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "multiprocessing.context":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        real_exec = loader.exec_module

        def exec_module(module):
            real_exec(module)
            _patch_default_context(module)

        class _Loader:
            def __getattr__(self, name):
                return getattr(loader, name)

            def create_module(self, spec):
                return loader.create_module(spec)

        wrapped = _Loader()
        wrapped.exec_module = exec_module
        spec.loader = wrapped
        return spec


def _install_start_method():
    if _METHOD not in ("fork", "spawn", "forkserver"):
        return
    if "multiprocessing.context" in sys.modules:
        _patch_default_context(sys.modules["multiprocessing.context"])
    else:
        sys.meta_path.insert(0, _AfterImport())


def _chain_shadowed_sitecustomize():
    """Run the sitecustomize this one shadows (e.g. Debian's apport hook)."""
    try:
        from importlib.machinery import PathFinder
        here = os.path.normcase(_HERE)
        rest = [p for p in sys.path if os.path.normcase(os.path.abspath(p or os.curdir)) != here]
        spec = PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.loader is None or spec.origin == __file__:
            return
        import importlib.util
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:
        pass


if _LOG:
    _install_fork_counter()
_install_start_method()
_chain_shadowed_sitecustomize()
