"""The `ringcast` command line."""
