# multiprocessing is imported only inside the main guard: the fix puts
# `multiprocessing.set_start_method("spawn", force=True)` first in the guard, above the
# import, and the program stops with a NameError.
def work(x):
    return x * 2


if __name__ == "__main__":
    import multiprocessing

    with multiprocessing.Pool(2) as pool:
        print(sorted(pool.map(work, [1, 2])))
