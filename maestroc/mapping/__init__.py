"""``maestroc map``: the mapper, an exhaustive search over a declared space of dataflows (docs/mapping.md).

``space`` says which written dataflows a layer's space holds, ``lowering`` turns a family of them into
the arrays of a :class:`maestroc.batch.MappingBatch`, ``search`` evaluates, filters and ranks them, and
``output`` writes mapped.m, summary.json and the fronts.
"""
