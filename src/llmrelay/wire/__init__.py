"""Dialect codecs between canonical types and client-facing formats, and the SSE framer/parser."""
