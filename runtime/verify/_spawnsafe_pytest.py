"""spawnsafe fix --verify: a pytest plugin that records each test's outcome.

Loaded through PYTEST_PLUGINS by `spawnsafe fix --verify -- python3 -m pytest ...` (never by
`spawnsafe verify`), in the pytest process only. Each phase of each test (setup, call,
teardown) becomes a record in the process's report file, so that a run with a unit applied
can be compared test by test with the run of the project as it is.
"""
import _spawnsafe_verify as core


def pytest_runtest_logreport(report):
    try:
        record = {"kind": "test", "nodeid": report.nodeid, "when": report.when, "outcome": report.outcome}
        if report.failed:
            # The line pytest prints after FAILED: the evidence of a unit that broke the test.
            crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
            message = getattr(crash, "message", None) or ""
            record["message"] = " ".join(message.split())[:300]
        core.emit(record)
    except Exception:
        pass
