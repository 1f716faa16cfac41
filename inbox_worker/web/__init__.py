"""The web console for admins and leads (PRODUCT.md section 6a): another shell beside the
command line, calling the same services and views; it owns HTTP, sessions and forms."""
