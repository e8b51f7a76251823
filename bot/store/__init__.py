"""The gateway's Redis records, one module per kind."""
