"""The call engine shared by the SDK, the router and the gateway: resolve, send, parse, price, report."""
