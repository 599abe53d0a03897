"""Mining frequent questions from the deflection log and historical ticket files.

sources (rows) -> vectorcache (embeddings, cached by text) -> cluster -> describe, coverage,
trend -> rank -> report; incremental keeps the clusters between runs; draft turns an
accepted cluster into a draft FAQ entry. `pipeline.mine` ties them together.
"""
