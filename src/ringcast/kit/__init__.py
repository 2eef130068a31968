"""Shared building blocks for the domain packages (schemas, pagination, repositories)."""
