"""What operators watch: Prometheus metrics at /metrics and JSON log lines (docs/operations.md)."""
