"""newscat: a command-line catalogue for news articles with YAML front matter."""

__version__ = "0.1.0"
