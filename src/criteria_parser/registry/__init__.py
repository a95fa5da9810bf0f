"""Registry records at scale: record readers by format (:mod:`.records`), the importer with its local and
Dask engines, the SQLite store, file outputs (JSON Lines, Parquet) and the import lock.

May import every layer up to ``export``; not ``lct``, ``curation`` or above.
"""
