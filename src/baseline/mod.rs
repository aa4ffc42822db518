//! AWS patch baselines: the JSON shapes, validation, patch-list patterns, predefined baselines.
