"""ringcast audio engine."""
