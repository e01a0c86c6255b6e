"""Task families (`classify`, `lm`, `translate`), each owning its params, model, input pipeline,
evaluation and inference; `fit` and `layers` are what the families share."""
