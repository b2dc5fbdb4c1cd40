"""Lab 03: pruning and clustering with the TensorFlow Model Optimization Toolkit."""
