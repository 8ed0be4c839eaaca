import pytest

import settings


@pytest.fixture
def strict_settings():
    settings.configure("strict")
    yield
    settings.configure("lenient")
