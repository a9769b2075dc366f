"""The one generic spider (`site`); each site's differences live in policywatch.toml."""
