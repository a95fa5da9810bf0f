"""The spaCy pipeline that reads one criterion: our tokenizer (:mod:`.tokenizer`), the components
registered with ``@Language.factory`` (quantities, abbreviations, comparators, subjects, constraints), the
data types they pass on (:mod:`.types`) and :func:`.build.build_pipeline`.

May import ``errors``, ``model``, ``grammar`` and ``document``.
"""
