"""A service that logs from a background thread while it farms work out to pools.

Under fork this hangs now and then: a child is forked while the logging thread holds
the lock of the queue behind the QueueHandler, and the child's first log call waits forever.
"""
import logging
import logging.handlers
import queue
import threading
from multiprocessing import Pool

from jobs.work import total_lengths

log_queue = queue.Queue()
logging.basicConfig(level=logging.INFO, handlers=[logging.handlers.QueueHandler(log_queue)])
log = logging.getLogger("demo")


def square(x):
    log.info("squaring %d", x)
    return x * x


def heartbeat(stop):
    while not stop.is_set():
        log.info("still alive")


def main():
    listener = logging.handlers.QueueListener(log_queue, logging.NullHandler())
    listener.start()
    stop = threading.Event()
    threading.Thread(target=heartbeat, args=(stop,), daemon=True).start()
    results = []
    for _ in range(10):
        with Pool(2) as pool:
            results.append(sum(pool.map(square, range(10))))
    stop.set()
    listener.stop()
    print("sums:", sorted(set(results)))
    print("lengths:", total_lengths(["spawn", "safe"]))


if __name__ == "__main__":
    main()
