"""The TUI's screens, one module each, imported only when first shown."""
