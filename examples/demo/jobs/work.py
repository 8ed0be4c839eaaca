"""Library code: it must not depend on the start method its importer chose."""
import multiprocessing


def total_lengths(words):
    with multiprocessing.Pool(2) as pool:
        return sum(pool.map(len, words))
