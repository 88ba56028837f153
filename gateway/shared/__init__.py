"""What the replicas of a fleet share through Redis (``GATEWAY_REDIS_URL``).

connection.py (timeouts, the breaker, versioned keys), codec.py (values as JSON, never
pickle), cache.py (the shared caches), flights.py (single-flight across replicas),
buckets.py (the per-caller limits), live.py (one poller per watched job for the fleet),
listener.py (one pub/sub connection per process), and the primitives other features build
on: lease.py, channel.py, counter.py.
"""
