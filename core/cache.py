"""Django's Redis cache backend, with one Redis client kept per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every operation. The connection comes
from a pool either way, but building the client fills a table of some 170 response callbacks:
in a feed poll answered 304, that took more CPU than the poll's query (learning.settings uses
this backend when CACHE_URL names a Redis). A Redis client is safe to share between threads:
each command takes a connection from the pool and gives it back."""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One client per server, by the index RedisCacheClient gives it (0 writes, the rest read).
        self._clients: dict[int, object] = {}
        # Only the first use of a server takes the lock: two threads that both found no client
        # would otherwise each build a pool and a client, and one would be thrown away.
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    pool = self._get_connection_pool_for(index)
                    client = self._clients[index] = self._client(connection_pool=pool)
        return client

    def _get_connection_pool_for(self, index: int):
        # RedisCacheClient._get_connection_pool draws a read server at random: the one drawn here
        # must be the one the client is kept under.
        if index not in self._pools:
            self._pools[index] = self._pool_class.from_url(
                self._servers[index], **self._pool_options
            )
        return self._pools[index]


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
