"""Where the price catalog and the callable providers disagree, and why — said here, once, so that
neither side drifts silently (tests/cost/test_catalog_agreement.py holds both lists to the registry
and the catalog, and docs/providers/index.md prints them).

- `UNSERVED_CATALOG_PROVIDERS`: providers the price list prices that no llmrelay prefix calls.
- `UNPRICED_PROVIDERS`: providers llmrelay calls that the price list has no entry for; their calls
  cost what the deployment's `model_info` prices say (`input_cost_per_token`...), else nothing.
"""

from __future__ import annotations

_NOT_BUILT = "not built yet (issue 14)"
_ASK_PRICES = "the price list has none: set prices in the deployment's model_info"
_OWN_SERVER = "a server of your own: no list price; set prices in model_info to count spend"

UNSERVED_CATALOG_PROVIDERS: dict[str, str] = {
    "assemblyai": f"AssemblyAI's transcription API: {_NOT_BUILT}",
    "aws_polly": f"Amazon Polly speech: {_NOT_BUILT}",
    "azure_text": f"Azure OpenAI's legacy completions under their own prefix: {_NOT_BUILT}",
    "bedrock_mantle": f"Bedrock's OpenAI-compatible Mantle endpoint: {_NOT_BUILT}",
    "black_forest_labs": f"Black Forest Labs' image API: {_NOT_BUILT}",
    "chatgpt": "a ChatGPT subscription's sign-in (OAuth device flow for one person's account), "
    "not an API a gateway should hold",
    "fal_ai": f"fal.ai's queue API for images and media: {_NOT_BUILT}",
    "gigachat": f"GigaChat's OAuth token grant and API: {_NOT_BUILT}",
    "github_copilot": "a Copilot subscription's sign-in (OAuth device flow for one person's "
    "account), not an API a gateway should hold",
    "microsoft_365_copilot": "Microsoft 365 Copilot's Graph API for one tenant's users: not an LLM API",
    "nlp_cloud": f"NLP Cloud's own API: {_NOT_BUILT}",
    "opencode_go": f"opencode's hosted models: {_NOT_BUILT}",
    "qwen_ai_platform": f"Alibaba's Qwen AI platform: {_NOT_BUILT} (Dashscope: `dashscope/`)",
    "qwencloud": f"Qwen Cloud: {_NOT_BUILT} (Dashscope: `dashscope/`)",
    "recraft": f"Recraft's image API: {_NOT_BUILT}",
    "runwayml": f"Runway's video, image and speech API: {_NOT_BUILT}",
    "scaledown": f"ScaleDown's prompt compression API: {_NOT_BUILT}",
    "soniox": f"Soniox's transcription API: {_NOT_BUILT}",
    "stability": f"Stability AI's image API: {_NOT_BUILT}",
    "text-completion-inception": f"Inception's fill-in-the-middle completions: {_NOT_BUILT}",
    "transcribe": f"Amazon Transcribe's jobs: {_NOT_BUILT}",
}

UNPRICED_PROVIDERS: dict[str, str] = {
    **dict.fromkeys(
        ("custom_openai", "docker_model_runner", "hosted_vllm", "huggingface_local", "litellm_proxy",
         "llamafile", "lm_studio", "oobabooga", "openai_like", "ragflow", "xinference"),
        _OWN_SERVER,
    ),
    **dict.fromkeys(
        ("apertis", "charity_engine", "chutes", "clarifai", "cometapi", "cortecs", "datarobot", "empower",
         "galadriel", "github", "helicone", "huggingface", "maritalk", "nano-gpt", "neosantara",
         "openrouter", "parasail", "poe", "reka", "sagemaker_chat", "synthetic", "veniceai"),
        _ASK_PRICES,
    ),
}  # fmt: skip
