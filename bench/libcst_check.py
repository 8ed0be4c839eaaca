"""The LibCST side of the benchmark: the same check spawnsafe's core does, written as a
LibCST visitor the way a LibCST codemod would be.

For every file (read from a list on stdin, one path a line) that mentions the names
spawnsafe looks for (the same prefilter spawnsafe applies), parse it with LibCST, resolve
names with QualifiedNameProvider, and report:

- process creation and start-method calls of multiprocessing, concurrent.futures and
  torch.multiprocessing made from the default context (no context given),
- explicit fork (`set_start_method("fork")`, `get_context("fork")`),
- direct `os.fork()` / `os.forkpty()` / `pty.fork()` calls.

Work is spread over a pool of processes, as `python -m libcst.tool codemod -j N` does.
Prints `files parsed, findings` so that a run can be checked for doing the work.

Usage: python3 bench/libcst_check.py JOBS < files.txt
"""

import re
import sys
from concurrent.futures import ProcessPoolExecutor

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

RELEVANT = re.compile(r"multiprocessing|ProcessPoolExecutor|\bfork(?:pty)?\b")

FACTORIES = {
    "Pool", "Process", "Manager", "Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock",
    "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier", "Value", "Array",
}
PARAMETER_CLASSES = {
    "multiprocessing.pool.Pool": "context",
    "multiprocessing.managers.SyncManager": "ctx",
    "concurrent.futures.ProcessPoolExecutor": "mp_context",
    "concurrent.futures.process.ProcessPoolExecutor": "mp_context",
}
FORKS = {"os.fork", "os.forkpty", "pty.fork", "posix.fork", "posix.forkpty"}


def canonical(name):
    return "multiprocessing" + name[len("torch.multiprocessing"):] if name.startswith("torch.multiprocessing") else name


def method_of(call):
    for arg in call.args:
        if arg.keyword is None or arg.keyword.value == "method":
            if isinstance(arg.value, cst.SimpleString):
                return arg.value.evaluated_value
            return None
    return "default"


class Check(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self):
        self.findings = []

    def visit_Call(self, node):
        for qualified in self.get_metadata(QualifiedNameProvider, node.func, set()):
            name = canonical(qualified.name)
            member = name.rsplit(".", 1)[-1]
            if name == f"multiprocessing.{member}" and member in FACTORIES:
                self.findings.append(("default-context", member))
            elif name in PARAMETER_CLASSES:
                keyword = PARAMETER_CLASSES[name]
                if not any(a.keyword is not None and a.keyword.value == keyword for a in node.args):
                    self.findings.append(("default-context", member))
            elif name in ("multiprocessing.set_start_method", "multiprocessing.get_context"):
                if method_of(node) == "fork":
                    self.findings.append(("explicit-fork", member))
            elif name in FORKS:
                self.findings.append(("os-fork", name))


def check_file(path):
    with open(path, "rb") as f:
        source = f.read()
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        text = source.decode("latin-1")
    if not RELEVANT.search(text):
        return (0, 0)
    try:
        module = cst.parse_module(source)
    except Exception:
        return (1, 0)
    visitor = Check()
    MetadataWrapper(module).visit(visitor)
    return (1, len(visitor.findings))


def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    files = [line.strip() for line in sys.stdin if line.strip()]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(check_file, files, chunksize=8))
    else:
        results = [check_file(f) for f in files]
    parsed = sum(r[0] for r in results)
    findings = sum(r[1] for r in results)
    print(f"{parsed} files parsed, {findings} findings")


if __name__ == "__main__":
    main()
