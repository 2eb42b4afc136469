"""The gateway server: a bare RSGI app on Granian for the proxy routes (see docs/adr/0003)."""

from llmrelay.auth.master import MasterKeyAuthenticator
from llmrelay.auth.presented import Authenticator
from llmrelay.calls.principal import Principal
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.protocol import ModelRouter
from llmrelay.proxy.state import GatewayState

__all__ = [
    "Authenticator",
    "GatewayApp",
    "GatewayState",
    "MasterKeyAuthenticator",
    "ModelRouter",
    "Principal",
]
