"""Runs a callable in a process of its own and reports how it ended."""
import multiprocessing


def run_isolated(target):
    process = multiprocessing.Process(target=target)
    process.start()
    process.join()
    return process.exitcode
