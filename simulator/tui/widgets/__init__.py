"""The TUI's own widgets. Each takes plain data down and posts messages up."""
