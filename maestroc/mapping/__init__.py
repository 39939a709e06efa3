"""``maestroc map``: the mapper, an exhaustive search over a declared space of dataflows (docs/mapping.md).

``space`` says which written dataflows a layer's space holds (``settings`` reads a ``--space`` file),
``lowering`` turns a family of them into the arrays of a :class:`maestroc.batch.MappingBatch` with the
passes' own rules, ``search`` evaluates, filters and ranks them, ``network`` maps a whole network (each
layer shape once; ``parallel`` on worker processes or Dask), ``inputs`` checks a run's inputs,
``output`` writes mapped.m, summary.json and the fronts, ``explain`` prints the space.
"""
