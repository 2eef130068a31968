"""Dictionaries (`/api/dictionaries`): keyed clips the number speaker composes."""
