# A module-level `global COUNT` (a no-op there) after a top-level start, before the
# assignment a function reads. The fix moves `global COUNT` under the new guard and keeps
# `COUNT = 7` at module level, above it: CPython rejects the rewrite.
import multiprocessing


def work(x):
    return x * 2


def count():
    return COUNT


with multiprocessing.Pool(2) as pool:
    print(sorted(pool.map(work, [1, 2])))
global COUNT
COUNT = 7
print(count())
