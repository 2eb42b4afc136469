"""Provider adapters: pure functions between canonical types and each provider's wire format."""
