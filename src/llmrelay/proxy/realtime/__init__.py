"""The Realtime API's WebSocket (`/v1/realtime`), proxied to OpenAI and Azure OpenAI: route.py (the
upgrade), session.py (the relay and its billing), setup.py (into a gateway worker)."""
