"""A clean program that starts 50 processes under spawn: the workload of bench/verify.ts.

Ten rounds of five `Process` objects, each squaring its number and sending the result back
through a `Queue`: 50 spawned processes. Prints the sum of the squares, so a run that goes
wrong shows.
"""
import multiprocessing as mp

ROUNDS = 10
PER_ROUND = 5


def square(n, results):
    results.put((n, n * n))


def main():
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    total = 0
    for r in range(ROUNDS):
        procs = [ctx.Process(target=square, args=(r * PER_ROUND + i, results)) for i in range(PER_ROUND)]
        for p in procs:
            p.start()
        got = [results.get() for _ in procs]
        for p in procs:
            p.join()
        total += sum(sq for _, sq in got)
    print(total)


if __name__ == "__main__":
    main()
