"""``maestroc map``: the mapper, an exhaustive search over a declared space of dataflows (docs/mapping.md).

``space`` says which written dataflows a layer's space holds (``settings`` reads a ``--space`` file),
``lowering`` turns a family of them into grids of mappings (:class:`maestroc.batch.MappingGrid`) with the
passes' own rules, ``search`` searches a layer (``groups`` a group of families, block by block; ``outcome``
holds the rules, the ranking and the budget), ``network`` maps a whole network (each
layer shape once; ``parallel`` on worker processes or Dask), ``inputs`` checks a run's inputs,
``output`` writes mapped.m, summary.json and the fronts, ``explain`` prints the space.
"""
