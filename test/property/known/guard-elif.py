# Under fork the `elif` branch never runs (the program is `__main__`). After the switch to
# spawn, each child imports the program as `__mp_main__` and runs it: "elif" is printed by
# every worker. A plain `else:` is rewritten; an `elif` is not.
import multiprocessing


def work(x):
    return x * 2


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(sorted(pool.map(work, [1, 2])))
elif True:
    print("elif")
