"""The DuckDB floor for a one-shot analysis: read the CSV, join a price table, group by model.
    python bench/floor_query.py LOG.csv"""

import sys

import duckdb

con = duckdb.connect()
con.execute("""CREATE TABLE prices AS SELECT * FROM (VALUES
    ('claude-sonnet-4-5-20250929', 3.0, 15.0), ('claude-haiku-4-5', 1.0, 5.0),
    ('gpt-4o-2024-08-06', 2.5, 10.0), ('gpt-4o-mini', 0.15, 0.6), ('gpt-5-mini', 0.25, 2.0),
    ('gemini-2.5-flash', 0.3, 2.5), ('gemini-2.5-pro', 1.25, 10.0), ('deepseek-v4-flash', 0.3, 1.2)
) t(model, p_in, p_out)""")
rows = con.execute(f"""SELECT c.model, count(*), sum(input_tokens * p_in + output_tokens * p_out) / 1e6
                       FROM read_csv('{sys.argv[1]}') c JOIN prices p USING (model)
                       GROUP BY 1 ORDER BY 1""").fetchall()
print(len(rows))
