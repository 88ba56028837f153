"""The gateway's HTTP layer: ASGI middleware, one concept a module, and the GraphQL view.

In the order a request meets them: :mod:`request_ids` names it, :mod:`access_log` times and
logs it, :mod:`body_limit` bounds its body; on ``/graphql`` only, :mod:`csrf` refuses what a
browser could send cross-site and :mod:`authentication` names the caller; then :mod:`view`
reads the request (:mod:`operations`), fills in persisted operations (:mod:`persisted`, with
the trusted documents of :mod:`manifests`), answers from the result cache with HTTP caching's
headers (:mod:`caching`) or executes the operation. :mod:`errors` writes the answers given
before GraphQL runs.
"""
