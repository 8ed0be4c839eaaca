"""Runs a function over items in a pool: which function is the caller's business."""
import multiprocessing


def run(func, items):
    with multiprocessing.Pool(2) as pool:
        return pool.map(func, items)
