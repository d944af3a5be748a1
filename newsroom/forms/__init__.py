"""Staff forms, one module per area. They validate input only; the pages hand the cleaned
data to the services, which check who may do what."""
