"""Contacts, their custom attributes, bulk upsert and CSV import."""
