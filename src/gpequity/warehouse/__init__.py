"""Building and opening the DuckDB warehouse."""
