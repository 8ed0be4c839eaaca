"""A small suite whose tests start processes, as a project's own tests do.

Three tests are spawn-safe. `test_validation_in_worker` relies on fork: the fixture
configures `settings.MODE` in the test process, and under fork the worker inherits it;
under spawn the worker imports settings.py afresh and validates in the default mode.
"""
import concurrent.futures
import multiprocessing

import settings


def square(x):
    return x * x


def send_square(x, queue):
    queue.put(square(x))


def validate(value, queue):
    queue.put(settings.check(value))


def test_pool_map():
    with multiprocessing.Pool(2) as pool:
        assert pool.map(square, range(5)) == [0, 1, 4, 9, 16]


def test_process_and_queue():
    queue = multiprocessing.Queue()
    worker = multiprocessing.Process(target=send_square, args=(6, queue))
    worker.start()
    assert queue.get(timeout=60) == 36
    worker.join()


def test_executor():
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        assert list(executor.map(square, [2, 3])) == [4, 9]


def test_validation_in_worker(strict_settings):
    queue = multiprocessing.Queue()
    worker = multiprocessing.Process(target=validate, args=(-1, queue))
    worker.start()
    assert queue.get(timeout=60) == "rejected"
    worker.join()
