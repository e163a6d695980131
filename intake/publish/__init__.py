"""Publishing accepted articles to a blog (WordPress)."""
