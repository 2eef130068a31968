"""SIP trunks: where outbound calls go, with channel and calls-per-second limits."""
