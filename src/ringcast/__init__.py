"""ringcast: self-hosted outbound voice campaigns."""

__version__ = "0.1.0"
