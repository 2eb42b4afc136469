"""AWS's identity endpoints, simulated over their real wire formats, issuing temporary keys that the
Bedrock and SageMaker simulators then accept (it adds them to the `aws_keys` it is given):

- STS's query API (`POST /`, form-encoded, XML answers, `Version=2011-06-15`): AssumeRole, SigV4-
  signed for the signing name `sts` by keys it knows; AssumeRoleWithWebIdentity, unsigned, with a
  web identity token it knows. Errors as STS's `<ErrorResponse><Error><Type/><Code/><Message/>`;
- EC2 instance metadata, IMDSv2: `PUT /latest/api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`)
  answers a session token; `GET /latest/meta-data/iam/security-credentials/` the role's name and
  `.../{role}` its keys (`Code`, `LastUpdated`, `Type`, `AccessKeyId`, `SecretAccessKey`, `Token`,
  `Expiration`), each only with a valid `X-aws-ec2-metadata-token` (else 401);
- the ECS container credentials endpoint (`GET /v2/credentials/{id}`, with the `Authorization` token
  when one is required): `{"RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import threading
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from aiohttp import web

from llmrelay.providers.grants import Credential, TokenGrant
from llmrelay.testing.bedrock_wire import verify_sigv4

if TYPE_CHECKING:
    from llmrelay.core.credentials import TokenCache

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
CONTAINER_PATH = "/v2/credentials/{id}"


@dataclass
class AwsIdentitySimulator:
    """`aws_keys`: access key id → secret key, shared with the service simulators; keys this issues
    are added to it. `roles`: role ARNs that may be assumed. `web_tokens`: web identity token →
    the role ARN it may assume. `lifetime`: seconds issued keys live."""

    aws_keys: MutableMapping[str, str]
    roles: set[str] = field(default_factory=set)
    web_tokens: dict[str, str] = field(default_factory=dict)
    lifetime: int = 3600
    instance_role: str = "llmrelay-instance-role"
    container_token: str | None = None
    issued: list[str] = field(default_factory=list)  # the action (or source) of each issue, in order
    calls: list[str] = field(default_factory=list)  # "METHOD path" of each request
    _imds_tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/", self._sts)
        app.router.add_put("/latest/api/token", self._imds_token)
        app.router.add_get("/latest/meta-data/iam/security-credentials/", self._imds_role)
        app.router.add_get("/latest/meta-data/iam/security-credentials/{role}", self._imds_credentials)
        app.router.add_get(CONTAINER_PATH, self._container)

    def _issue(self, source: str) -> dict[str, str]:
        access = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.lifetime)
        with self._lock:
            self.aws_keys[access] = secret
            self.issued.append(source)
        return {
            "AccessKeyId": access,
            "SecretAccessKey": secret,
            "Token": secrets.token_urlsafe(40),
            "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    # ---- STS
    async def _sts(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append(f"POST {request.path}")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items() if v}
        action = form.get("Action", "")
        if form.get("Version") != "2011-06-15":
            return _sts_error(400, "InvalidAction", "Could not find operation for version")
        if action == "AssumeRole":
            headers = {k.lower(): v for k, v in request.headers.items()}
            failure = verify_sigv4("POST", f"http://{request.host}{request.raw_path}", headers, body,
                                   dict(self.aws_keys), service="sts")  # fmt: skip
            if failure is not None:
                code = (
                    "SignatureDoesNotMatch" if "Signature" in failure.error_type else "InvalidClientTokenId"
                )
                return _sts_error(403, code, failure.message)
        elif action == "AssumeRoleWithWebIdentity":
            token = form.get("WebIdentityToken", "")
            allowed = self.web_tokens.get(token)
            if allowed is None:
                return _sts_error(
                    400,
                    "InvalidIdentityToken",
                    "Couldn't retrieve verification key from your identity provider",
                )
            if allowed != form.get("RoleArn"):
                return _sts_error(
                    403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
                )
        else:
            return _sts_error(400, "InvalidAction", f"Could not find operation {action}")
        role, session = form.get("RoleArn", ""), form.get("RoleSessionName", "")
        if role not in self.roles:
            return _sts_error(
                403, "AccessDenied", f"User is not authorized to perform: sts:{action} on resource: {role}"
            )
        if not 2 <= len(session) <= 64:
            message = "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint"
            return _sts_error(400, "ValidationError", message)
        keys = self._issue(action)
        credentials = "".join(
            f"<{name}>{escape(keys[key])}</{name}>"
            for name, key in (("AccessKeyId", "AccessKeyId"), ("SecretAccessKey", "SecretAccessKey"),
                              ("SessionToken", "Token"), ("Expiration", "Expiration"))
        )  # fmt: skip
        role_id = "AROA" + secrets.token_hex(8).upper()
        xml = (
            f'<{action}Response xmlns="{STS_NS}"><{action}Result>'
            f"<Credentials>{credentials}</Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>{role_id}:{escape(session)}</AssumedRoleId>"
            f"<Arn>{escape(role)}/{escape(session)}</Arn></AssumedRoleUser>"
            f"</{action}Result><ResponseMetadata><RequestId>{secrets.token_hex(16)}</RequestId>"
            f"</ResponseMetadata></{action}Response>"
        )
        return web.Response(body=xml.encode(), content_type="text/xml")

    # ---- EC2 instance metadata (IMDSv2)
    async def _imds_token(self, request: web.Request) -> web.Response:
        self.calls.append(f"PUT {request.path}")
        ttl = request.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return web.Response(status=400)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._imds_tokens.add(token)
        return web.Response(text=token, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})

    def _imds_ok(self, request: web.Request) -> bool:
        self.calls.append(f"GET {request.path}")
        with self._lock:
            return request.headers.get("X-aws-ec2-metadata-token", "") in self._imds_tokens

    async def _imds_role(self, request: web.Request) -> web.Response:
        if not self._imds_ok(request):
            return web.Response(status=401)
        return web.Response(text=self.instance_role)

    async def _imds_credentials(self, request: web.Request) -> web.Response:
        if not self._imds_ok(request):
            return web.Response(status=401)
        if request.match_info["role"] != self.instance_role:
            return web.Response(status=404)
        keys = self._issue("imds")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return web.json_response({"Code": "Success", "LastUpdated": now, "Type": "AWS-HMAC", **keys})

    # ---- ECS container credentials
    async def _container(self, request: web.Request) -> web.Response:
        self.calls.append(f"GET {request.path}")
        if self.container_token is not None and not secrets.compare_digest(
            request.headers.get("Authorization", ""), self.container_token
        ):
            return web.json_response(
                {"code": "AccessDeniedException", "message": "invalid token"}, status=401
            )
        keys = self._issue("container")
        return web.json_response({"RoleArn": "arn:aws:iam::123456789012:role/ecs-task", **keys})


def _sts_error(status: int, code: str, message: str) -> web.Response:
    kind = "Receiver" if status >= 500 else "Sender"
    xml = (
        f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{secrets.token_hex(16)}</RequestId>"
        "</ErrorResponse>"
    )
    return web.Response(status=status, body=xml.encode(), content_type="text/xml")


@contextlib.asynccontextmanager
async def start_aws_identity(simulator: AwsIdentitySimulator) -> AsyncIterator[str]:
    """Serve `simulator` on 127.0.0.1 (a free port) in the running loop; yields its base URL."""
    app = web.Application(client_max_size=1024**2)
    simulator.add_to(app)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def fetch_credential(grant: TokenGrant, cache: TokenCache | None = None) -> Credential:
    """The credential the engine's token cache gets for `grant` (a fresh cache over a real transport
    unless one is given)."""
    from llmrelay.core.credentials import TokenCache
    from llmrelay.transport.http import HttpTransport

    transport = HttpTransport()
    try:
        cache = cache or TokenCache(lambda request, timeout: transport.send(request, timeout))
        token, _ = await cache.token(grant)
        return token
    finally:
        await transport.aclose()
