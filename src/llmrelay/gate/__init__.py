"""Key governance, away from the web server: where a gateway keeps its virtual keys and spend
(store.py), their settings (settings.py), and the per-worker runtime that holds the key cache, the
limiter, the per-call gate and the spend writer (runtime.py). The server installs it and serves the
admin API over it (proxy/keys_setup.py, proxy/admin/).

Importing this package does no work: store.py must load without the `db` extra (a master-key-only
gateway asks it whether virtual keys are on); settings.py and runtime.py need SQLAlchemy."""
