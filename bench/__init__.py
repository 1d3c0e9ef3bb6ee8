"""The performance harness: ``python -m bench`` (``make bench``), ``python -m bench --quick``.

Everything runs against real Postgres (a database of its own, created and dropped here) and
Redis (a key prefix of its own), invoking the app the way Lambda does and, for comparison,
over HTTP through ``chalice local``.
"""
