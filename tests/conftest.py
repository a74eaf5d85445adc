import pytest

from stack import Client, Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("stack")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def admin(stack):
    return stack.admin


@pytest.fixture
def anonymous(stack):
    return Client(stack.url)
