"""Web app: the page for the person who is stuck, served under /app by the API itself."""
