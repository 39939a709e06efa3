"""maestroc's passes, one module per pass (installed as ``maestroc.passes``)."""
