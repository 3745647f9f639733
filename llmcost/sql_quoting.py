"""Quoting text for SQL: the only way log or user text ever reaches a SQL string. Values that can
be bound as parameters are bound; these are for the places DuckDB needs literals (table function
arguments, identifiers, generated VALUES lists)."""

from __future__ import annotations


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier (column names come from files and may hold anything)."""
    return '"' + name.replace('"', '""') + '"'
