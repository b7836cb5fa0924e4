"""Developer tools: generators of derived files."""
