"""spawnsafe verify: loaded by CPython's ``site`` in every Python process of a run.

``spawnsafe verify -- CMD`` puts this directory first on PYTHONPATH, so every Python
process CMD starts (children, grandchildren, subprocesses) imports this module at start-up.
It installs the recorder (``_spawnsafe_verify``), then runs the ``sitecustomize`` it
shadows (the user's, a virtual environment's, the distribution's), so that theirs still
runs as it would without spawnsafe. Nothing happens outside a run (no
SPAWNSAFE_VERIFY_DIR in the environment).
"""

import os as _os
import sys as _sys


def _install():
    if not _os.environ.get("SPAWNSAFE_VERIFY_DIR"):
        return
    # The recorder is compiled once per run and its bytecode kept beside it (in the run's
    # own copy of this folder), also when the program runs with PYTHONDONTWRITEBYTECODE.
    keep = _sys.dont_write_bytecode
    _sys.dont_write_bytecode = False
    try:
        import _spawnsafe_verify
    except Exception:
        return
    finally:
        _sys.dont_write_bytecode = keep
    _spawnsafe_verify.install()


def _chain():
    """Run the sitecustomize this one shadows, as `import sitecustomize` would have."""
    here = _os.path.normcase(_os.path.dirname(_os.path.abspath(__file__)))
    rest = [p for p in _sys.path if _os.path.normcase(_os.path.abspath(p or _os.curdir)) != here]
    finder = None
    for f in _sys.meta_path:
        if getattr(f, "__name__", None) == "PathFinder":
            finder = f
            break
    if finder is None:
        return
    spec = finder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None or spec.origin == __file__:
        return
    module = type(_sys)("sitecustomize")
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__loader__ = spec.loader
    module.__cached__ = getattr(spec, "cached", None)
    _sys.modules["sitecustomize"] = module
    # Errors propagate to site, which reports them as for any sitecustomize.
    spec.loader.exec_module(module)


_install()
_chain()
