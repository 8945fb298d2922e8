"""dlscratch: the networks of *Deep Learning from Scratch* in Python/NumPy (the reference)."""
