"""Rule packs (one TOML file per agency) and the regulation texts they cite."""
