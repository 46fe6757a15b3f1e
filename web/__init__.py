"""The offices' portal: each provincial office signs in and does its own province's steps; DLA reads every
province. A door onto the same core as the CLI (see ARCHITECTURE.md)."""
