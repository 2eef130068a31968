"""ringcast telephony engine."""
