"""The MiniLM sentence encoder on ONNX Runtime, without Rasa (used by bot/nlu and bot/risk)."""
