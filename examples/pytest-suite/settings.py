"""Application settings: `configure()` is called once at start-up (in tests, by a fixture)."""
MODE = "lenient"


def configure(mode):
    global MODE
    MODE = mode


def check(value):
    if MODE == "strict" and value < 0:
        return "rejected"
    return "accepted"
