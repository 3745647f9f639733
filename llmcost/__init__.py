"""llmcost: turn the logs of LLM API calls into answers about cost."""

__version__ = "0.1.0"
