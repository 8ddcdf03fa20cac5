"""The benchmark: the product and a naive baseline measured side by side against the sandbox."""
