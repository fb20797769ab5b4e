"""core.cache: Django's Redis backend with one client per connection pool, against the
machine's Redis (TEST_REDIS_URL, database 15 by default)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from core.cache import RedisCache

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI needs Redis at {REDIS_URL}.")
        pytest.skip(f"no Redis at {REDIS_URL}")
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-cache-{os.getpid()}"})
    yield cache
    cache.delete_many(["a", "b", "count", "kept", "gone", *(f"thread-{n}" for n in range(8))])


def _counting_clients(cache: RedisCache) -> list[object]:
    """Record every Redis client the backend builds."""
    built = []
    real = cache._cache._client

    def build(**kwargs):
        built.append(kwargs)
        return real(**kwargs)

    cache._cache._client = build
    return built


def test_every_operation_of_the_backend_works_against_redis(redis_cache):
    redis_cache.set("a", {"feed": b"BEGIN:VCALENDAR"}, 60)
    assert redis_cache.get("a") == {"feed": b"BEGIN:VCALENDAR"}
    assert redis_cache.add("a", "other", 60) is False
    assert redis_cache.add("b", "new", 60) is True
    assert redis_cache.get_many(["a", "b", "missing"]) == {
        "a": {"feed": b"BEGIN:VCALENDAR"},
        "b": "new",
    }
    redis_cache.set("count", 1, 60)
    assert redis_cache.incr("count", 4) == 5
    assert redis_cache.touch("count", 120) is True
    redis_cache.set_many({"kept": 1, "gone": 2}, 60)
    assert redis_cache.delete("gone") is True
    assert redis_cache.get("gone", "default") == "default"
    assert redis_cache.has_key("kept")


def test_one_client_serves_every_operation_not_one_per_operation(redis_cache):
    built = _counting_clients(redis_cache)

    for number in range(20):
        redis_cache.set("a", number, 60)
        assert redis_cache.get("a") == number

    assert len(built) == 1
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)


def test_the_shared_client_serves_threads_at_once(redis_cache):
    built = _counting_clients(redis_cache)
    start = threading.Barrier(8)

    def write_and_read(number: int) -> object:
        start.wait()
        key = f"thread-{number}"
        for _ in range(50):
            redis_cache.set(key, number, 60)
            assert redis_cache.get(key) == number
        return redis_cache.get(key)

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(write_and_read, range(8))) == list(range(8))
    assert len(built) == 1


class _LockThatReportsWaiters:
    """The backend's lock, telling when a thread has to wait for it."""

    def __init__(self, someone_waits: threading.Event) -> None:
        self._lock = threading.Lock()
        self._someone_waits = someone_waits

    def __enter__(self):
        if self._lock.locked():
            self._someone_waits.set()
        self._lock.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self._lock.release()


def test_two_threads_asking_first_at_once_get_one_client():
    # The interleaving is forced, not hoped for: the first thread's client is built only once the
    # second thread has asked too and either waits for the lock or builds a client of its own.
    cache = RedisCache(REDIS_URL, {})
    client_of_the_backend = cache._cache
    real_client = client_of_the_backend._client
    second_thread_arrived = threading.Event()
    first_thread_building = threading.Event()
    built = []

    def slow_client(**kwargs):
        built.append(kwargs)
        if len(built) == 1:
            first_thread_building.set()
            if not second_thread_arrived.wait(timeout=30):
                raise AssertionError("the second thread never asked for a client")
        else:
            second_thread_arrived.set()
        return real_client(**kwargs)

    client_of_the_backend._client = slow_client
    client_of_the_backend._clients_lock = _LockThatReportsWaiters(second_thread_arrived)
    clients = {}

    def ask(name: str) -> None:
        clients[name] = client_of_the_backend.get_client(write=True)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert first_thread_building.wait(timeout=30)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)

    assert not first.is_alive() and not second.is_alive()
    assert len(built) == 1
    assert clients["first"] is clients["second"]


def test_servers_read_from_and_written_to_keep_a_client_each():
    # Pools connect only when a command is sent: no server is needed to see which client is used.
    cache = RedisCache("redis://primary:6379/0;redis://replica:6379/0", {})

    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()

    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["host"] == "primary"
    assert reader.connection_pool.connection_kwargs["host"] == "replica"
    assert cache._cache.get_client(write=True) is writer
    assert cache._cache.get_client() is reader
