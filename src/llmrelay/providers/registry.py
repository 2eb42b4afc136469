"""Provider lookup by name. Native adapters are imported on first use; OpenAI-compatible ones are
built from their data rows. The deployment parameters the built-in providers declare are read here
without importing their adapters (`declared_params`)."""

from __future__ import annotations

import functools
import importlib

from llmrelay.providers.base import Provider
from llmrelay.providers.compat import compat_specs
from llmrelay.providers.declarations import ProviderParams
from llmrelay.types.errors import BadRequestError

# provider name → "module:Class" of its native adapter
NATIVE_ADAPTERS: dict[str, str] = {
    "anthropic": "llmrelay.providers.anthropic:AnthropicProvider",
    "azure": "llmrelay.providers.azure:AzureOpenAI",
    # Azure AI Foundry's model inference API: OpenAI's wire under a resource's /models, or a
    # serverless endpoint's root
    "azure_ai": "llmrelay.providers.openai_hosted.azure_ai:AzureAIProvider",
    "bedrock": "llmrelay.providers.bedrock:BedrockProvider",
    # Workers AI's own ai/run API, in its {result, success, errors} envelope
    "cloudflare": "llmrelay.providers.cloudflare:CloudflareProvider",
    "cohere": "llmrelay.providers.cohere:CohereProvider",
    "cohere_chat": "llmrelay.providers.cohere:CohereChatProvider",
    # OpenAI's wire under {workspace}/serving-endpoints, with content blocks in some answers
    "databricks": "llmrelay.providers.databricks:DatabricksProvider",
    # speech to text only: /v1/listen
    "deepgram": "llmrelay.providers.deepgram:DeepgramProvider",
    # text to speech and speech to text
    "elevenlabs": "llmrelay.providers.elevenlabs:ElevenLabsProvider",
    "gemini": "llmrelay.providers.gemini:GeminiProvider",
    # an OpenAI-compatible row (openai_compat.toml) with its own model ids and embeddings
    "huggingface": "llmrelay.providers.huggingface:HuggingFaceProvider",
    # local Hugging Face models run in this process (the `local` extra)
    "huggingface_local": "llmrelay.providers.huggingface_local:HuggingFaceLocalProvider",
    # embeddings and rerank only (no chat)
    "jina_ai": "llmrelay.providers.jina_ai:JinaProvider",
    # Ollama's own API: /api/generate and /api/chat (its OpenAI API is reached with openai_like/)
    "ollama": "llmrelay.providers.ollama:OllamaProvider",
    "ollama_chat": "llmrelay.providers.ollama:OllamaChatProvider",
    # OpenAI's chat wire at the LLM gateway or a deployment of a DataRobot account
    "datarobot": "llmrelay.providers.openai_hosted.datarobot:DataRobotProvider",
    # OpenAI's chat wire at DigitalOcean's serverless endpoint or an agent's own
    "gradient_ai": "llmrelay.providers.openai_hosted.gradient_ai:GradientAIProvider",
    # OpenAI's chat wire per chat assistant or agent of a RAGFlow server
    "ragflow": "llmrelay.providers.openai_hosted.ragflow:RagflowProvider",
    # OCI Generative AI: its ChatDetails bodies (GENERIC, COHERE), each request signed with an API key
    "oci": "llmrelay.providers.oci:OCIProvider",
    "replicate": "llmrelay.providers.replicate:ReplicateProvider",
    # SageMaker endpoints: TGI's body, or a container's OpenAI-style Messages API
    "sagemaker": "llmrelay.providers.sagemaker:SageMakerProvider",
    "sagemaker_chat": "llmrelay.providers.sagemaker:SageMakerChatProvider",
    # Cortex REST API: OpenAI's chat wire, Snowflake's URL and token-type header
    "snowflake": "llmrelay.providers.snowflake:SnowflakeProvider",
    # Mistral's fill-in-the-middle completions (text completions only)
    "text-completion-codestral": "llmrelay.providers.codestral_fim:CodestralFimProvider",
    "vertex_ai": "llmrelay.providers.vertex:VertexAI",
    "voyage": "llmrelay.providers.voyage:VoyageProvider",
    # IBM watsonx.ai: its chat API, and text generation with the conversation as one prompt
    "watsonx": "llmrelay.providers.watsonx:WatsonxProvider",
    "watsonx_text": "llmrelay.providers.watsonx:WatsonxTextProvider",
}
# LiteLLM's other names for a provider llmrelay serves under one: the model string's prefix is read as
# the provider it names (vertex_ai_beta/ was LiteLLM's route to Gemini on Vertex AI)
PROVIDER_ALIASES: dict[str, str] = {"vertex_ai_beta": "vertex_ai"}

# provider name → "module:NAME" of the ProviderParams its adapter declares (`deployment_params`), for
# the providers that read more than api_key / api_base / api_version; the modules are light
DECLARED_PARAMS: dict[str, str] = {
    "azure": "llmrelay.providers.azure.params:AZURE_PARAMS",
    "bedrock": "llmrelay.providers.bedrock.params:BEDROCK_PARAMS",
    "sagemaker": "llmrelay.providers.sagemaker.params:SAGEMAKER_PARAMS",
    "sagemaker_chat": "llmrelay.providers.sagemaker.params:SAGEMAKER_PARAMS",
    "huggingface_local": "llmrelay.providers.huggingface_local.params:HUGGINGFACE_LOCAL_PARAMS",
    "oci": "llmrelay.providers.oci.params:OCI_PARAMS",
    "vertex_ai": "llmrelay.providers.vertex.params:VERTEX_PARAMS",
    "watsonx": "llmrelay.providers.watsonx.params:WATSONX_PARAMS",
    "watsonx_text": "llmrelay.providers.watsonx.params:WATSONX_PARAMS",
}


@functools.cache
def declared_params() -> dict[str, ProviderParams]:
    """What each built-in provider with parameters of its own declares, by provider name."""
    found = {}
    for name, target in DECLARED_PARAMS.items():
        module_name, _, attr = target.partition(":")
        declared = getattr(importlib.import_module(module_name), attr)
        if not isinstance(declared, ProviderParams):
            raise TypeError(f"{target} is not a ProviderParams")
        found[name] = declared
    return found


@functools.cache
def declared_names() -> tuple[str, ...]:
    """Every declared deployment parameter, in declaration order (no repeats)."""
    return tuple(dict.fromkeys(n for declared in declared_params().values() for n in declared.names))


@functools.cache
def declared_secrets() -> frozenset[str]:
    """The declared parameters whose values are secrets."""
    return frozenset(n for declared in declared_params().values() for n in declared.secrets)


class ProviderRegistry:
    """Owns the adapter instances of one Client; two clients never share a registry."""

    def __init__(self) -> None:
        self._adapters: dict[str, Provider] = {}

    def get(self, name: str) -> Provider:
        adapter = self._adapters.get(name)
        if adapter is None:
            adapter = self._adapters[name] = self._build(name)
        return adapter

    def register(self, adapter: Provider) -> None:
        """Add or replace an adapter (a custom provider of the user's)."""
        self._adapters[adapter.name] = adapter

    def __contains__(self, name: str) -> bool:
        if name in self._adapters or name in NATIVE_ADAPTERS or name in PROVIDER_ALIASES:
            return True
        return name in compat_specs()

    @staticmethod
    def canonical(name: str) -> str:
        """The provider a prefix names: itself, or the one an alias of LiteLLM's stands for."""
        return PROVIDER_ALIASES.get(name, name)

    @staticmethod
    def known() -> list[str]:
        return sorted({*NATIVE_ADAPTERS, *compat_specs()})

    @staticmethod
    def _build(name: str) -> Provider:
        target = NATIVE_ADAPTERS.get(name)
        if target is not None:
            module_name, _, cls_name = target.partition(":")
            cls = getattr(importlib.import_module(module_name), cls_name)
            adapter: Provider = cls()
            return adapter
        spec = compat_specs().get(name)
        if spec is None:
            raise BadRequestError(
                f"unknown provider {name!r}; known providers: {', '.join(ProviderRegistry.known())}",
                provider=name,
            )
        from llmrelay.providers.openai import OpenAICompatible

        return OpenAICompatible(spec)
