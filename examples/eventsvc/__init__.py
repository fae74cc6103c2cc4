"""A small event-processing service with the missing awaits real services ship."""
