"""Provider simulators: local HTTP servers that speak the real wire protocols of OpenAI, Anthropic,
Gemini, Vertex AI, Bedrock, Cohere, Replicate and Ollama, with streaming, tool calls, usage, auth
checks, fault controls and a record of what they received. For tests, benchmarks and demos; nothing
here is imported by `import llmrelay`.

    async with start_simulator("openai") as sim:
        await llmrelay.acompletion("openai/gpt-4o-mini", messages, api_base=sim.api_base,
                                   api_key=sim.api_key)
        assert sim.requests.last.body["model"] == "gpt-4o-mini"

See docs/simulators.md for triggers and fault controls.
"""

from llmrelay.testing.base import ProviderSimulator, SimulatorSettings
from llmrelay.testing.faults import Fault, FaultControls, parse_fault_header
from llmrelay.testing.recorder import RecordedRequest, RequestLog
from llmrelay.testing.runner import (
    KINDS,
    RunningSimulator,
    SimulatorGroup,
    SimulatorThread,
    make_simulator,
    run_simulators_cli,
    simulators_in_thread,
    start_simulator,
    start_simulators,
)

__all__ = [
    "KINDS",
    "Fault",
    "FaultControls",
    "ProviderSimulator",
    "RecordedRequest",
    "RequestLog",
    "RunningSimulator",
    "SimulatorGroup",
    "SimulatorSettings",
    "SimulatorThread",
    "make_simulator",
    "parse_fault_header",
    "run_simulators_cli",
    "simulators_in_thread",
    "start_simulator",
    "start_simulators",
]
