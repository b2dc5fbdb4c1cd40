"""Lab 02: quantization of a Keras model with TensorFlow Lite."""
