"""Risk detection without Rasa: the deterministic phrase detector and the semantic risk model."""
