"""Renderers: turn result objects into terminal tables, JSON, Markdown or HTML. They only format."""
