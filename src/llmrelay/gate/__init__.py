"""Key governance, away from the web server: where a gateway keeps its virtual keys and spend
(store.py), their settings (settings.py), the per-worker runtime that holds the key cache, the
limiter, the per-call gate and the spend writer (runtime.py), and the per-call gate itself — the
chain's middleware (middleware.py, what it sees of a call: admission.py), the key gate's checks
(key_gate.py: model access; budgets.py; rate limits: key_limits.py), the stored strings it refuses
(stored_fields.py) and the spend row of each call (spend_rows.py). The server installs it and serves
the admin API over it (proxy/keys_setup.py, proxy/admin/).

Importing this package does no work: store.py must load without the `db` extra (a master-key-only
gateway asks it whether virtual keys are on); settings.py, runtime.py and key_gate.py need SQLAlchemy."""
