"""Organizations, API keys and the request principal."""
