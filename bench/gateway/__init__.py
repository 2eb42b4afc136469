"""Gateway benchmark: wrk load against the gateway, a floor proxy and the simulator itself."""
