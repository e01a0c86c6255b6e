"""Language models: n-gram baselines and recurrent models, held-out loss and generation."""
