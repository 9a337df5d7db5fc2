// Intentionally empty: the target only supplies the executable's entry point.
