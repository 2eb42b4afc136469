"""Provider adapter tests. This folder holds `stream_splits.py`, shared by each provider's stream tests."""
