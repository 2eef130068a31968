"""Audiences: named groups of contacts that a program targets."""
