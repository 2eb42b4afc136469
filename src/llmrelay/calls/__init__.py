"""The call seam: a call as a typed value.

One call = an `Operation` (which call type: its request and response types, usage, token estimate,
whether it streams), its request, and a `CallContext` (who asks, from where, with which per-call
knobs). What served it comes back as a `Served` record. Every layer between the routes and the
engine — the key gate, the response cache, the router — sees these values, never an untyped
metadata dict.

This room sits below its users (core engine, router, gate, cache, proxy, SDK client) and above the
value rooms (`types`, `providers`, `cost`)."""
