"""Prices: the dated price book (`book`) and pricing calls in DuckDB (`engine`)."""
