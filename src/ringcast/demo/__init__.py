"""`ringcast demo`: the whole product on loopback, checked against its own script."""
