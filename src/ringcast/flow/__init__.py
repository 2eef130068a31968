"""ringcast flow engine."""
