"""`python -m llmrelay.testing [--host] [--port] [--provider all|openai|anthropic|gemini]`."""

import sys

from llmrelay.testing.runner import run_simulators_cli

sys.exit(run_simulators_cli())
