"""wsgikit."""
