from shop import batch, worker


def double(x):
    return 2 * x


JOBS = {"double": double}


def test_batch_doubles():
    assert batch.run(JOBS["double"], [1, 2, 3]) == [2, 4, 6]


def test_isolated_run_succeeds():
    seen = []

    def job():
        seen.append(1)

    assert worker.run_isolated(job) == 0
