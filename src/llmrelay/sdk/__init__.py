"""The SDK Client's pieces below `llmrelay.client`: reading one call's keyword arguments into the
call seam's values (`keywords`), and running the call through the router's CallRunner (`run`)."""
