"""Use cases: each is one transaction (a unit of work) and emits events after its commit."""
