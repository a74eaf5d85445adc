"""A short-lived, per-process memory of tokens already checked against the database.

Looking a token up costs a query on every request; remembering the answer for a few
seconds removes it from the hot path. Logging out or deactivating a user forgets the
token at once in the process that handled it; other processes notice within ``ttl``
seconds (``TOKEN_CACHE_SECONDS``, 0 turns the cache off).
"""
import threading
import time


class TokenCache:
    def __init__(self, ttl, max_entries=10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, digest):
        if self.ttl <= 0:
            return None
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest, value, expires_at_monotonic=None):
        if self.ttl <= 0:
            return
        until = time.monotonic() + self.ttl
        if expires_at_monotonic is not None:
            until = min(until, expires_at_monotonic)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = (until, value)

    def forget(self, digest):
        with self._lock:
            self._entries.pop(digest, None)

    def clear(self):
        with self._lock:
            self._entries.clear()
