"""Run a command and print, on the last line of stderr, its wall-clock time and the CPU time of
it and every process it waited for: `{"wall": seconds, "cpu": seconds}`.

Used by bench/verify.ts for both sides alike, so the wrapper's own start-up counts for neither.
"""
import json
import resource
import subprocess
import sys
import time

started = time.perf_counter()
status = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}) + "\n")
sys.exit(status)
