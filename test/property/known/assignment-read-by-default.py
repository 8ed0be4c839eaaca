# `LIMIT = 2` comes after a top-level start, so the fix moves it under the new main guard;
# `def top(xs, n=LIMIT)` stays at module level (children must import it) and reads LIMIT
# when the module runs: NameError.
import multiprocessing


def work(x):
    return x * 2


with multiprocessing.Pool(2) as pool:
    print(sorted(pool.map(work, [1, 2])))

LIMIT = 2


def top(xs, n=LIMIT):
    return sorted(xs)[:n]


print(top([3, 1, 2]))
