"""The operator commands `submit`, `status`, `replay` and `doctor`: thin shells over the layer's domain code."""
