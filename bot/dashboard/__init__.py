"""The editors' feedback dashboard: figures from the feedback counters, charts, pages and exports."""
