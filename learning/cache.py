"""Django's Redis cache backend, with one Redis client kept per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every operation. The connection comes
from a pool either way, but building the client fills a table of some 170 response callbacks:
in a feed poll answered 304, that took more CPU than the poll's query (learning.settings uses
this backend when CACHE_URL names a Redis). A Redis client is safe to share between threads:
each command takes a connection from the pool and gives it back."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # Pools are kept for the client's life (RedisCacheClient._pools): their ids stay theirs.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
