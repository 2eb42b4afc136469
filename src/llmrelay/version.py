"""The package's version, in a module of its own: rooms below the package's facade (the events
sinks' user agents, the server's banner) read it without importing `llmrelay/__init__.py`, whose
lazy re-exports name the whole SDK (and so would put every room above them on their import path)."""

__version__ = "0.1.0"
