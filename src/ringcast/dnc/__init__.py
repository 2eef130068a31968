"""The do-not-call list, checked by the dialer at dial time."""
