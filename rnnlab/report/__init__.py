"""What a person reads: the README's figures and the results summary."""
