from llmrelay.providers.codestral_fim.adapter import CodestralFimProvider

__all__ = ["CodestralFimProvider"]
