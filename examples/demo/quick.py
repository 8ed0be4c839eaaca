# A quick script with no main guard: under spawn every child would run the pool again.
import multiprocessing as mp


def double(x):
    return 2 * x


with mp.Pool(2) as pool:
    print("doubled:", pool.map(double, [1, 2, 3]))
