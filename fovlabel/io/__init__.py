"""Reading and writing label sets (Parquet)."""
