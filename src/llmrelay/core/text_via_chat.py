"""Serve legacy text completions through a provider's chat API (for providers without /completions)."""

from __future__ import annotations

from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import ChatResponse


def text_request_to_chat(request: TextCompletionRequest) -> ChatRequest:
    if not isinstance(request.prompt, str):
        if not (len(request.prompt) == 1 and isinstance(request.prompt[0], str)):
            raise BadRequestError(
                "this provider takes text completions through its chat API: give one string prompt",
                param="prompt",
            )
        prompt = request.prompt[0]
    else:
        prompt = request.prompt
    return ChatRequest(
        model=request.model,
        messages=[Message(role="user", content=prompt)],
        max_tokens=request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        n=request.n,
        stop=request.stop,
        presence_penalty=request.presence_penalty,
        frequency_penalty=request.frequency_penalty,
        user=request.user,
        seed=request.seed,
        extra_body=request.extra_body,
    )


def chat_to_text_response(chat: ChatResponse) -> TextCompletionResponse:
    return TextCompletionResponse(
        id=chat.id,
        created=chat.created,
        model=chat.model,
        choices=[
            TextChoice(index=c.index, text=c.message.content or "", finish_reason=c.finish_reason)
            for c in chat.choices
        ],
        usage=chat.usage,
    )
