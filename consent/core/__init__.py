"""The pure core: canonical JSON, the hash chain, the gate, the transparency log's
maths and notes, the vendor catalogue, default texts, time formats and parameter parsing.

Nothing here imports Flask or SQLAlchemy; everything else may import it.
"""
