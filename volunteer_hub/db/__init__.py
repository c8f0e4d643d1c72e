"""Database plumbing below the models: the SQLite write queue, PostgreSQL without JIT."""
