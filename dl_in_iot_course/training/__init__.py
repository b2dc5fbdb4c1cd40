"""Training of the models the labs compress."""
