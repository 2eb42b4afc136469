"""/spend/logs (LiteLLM's filters) and /spend/daily (llmrelay's daily report)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import cast, get_args

from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.io import int_param, query, send, to_usd
from llmrelay.proxy.admin.keys import key_hash_of
from llmrelay.proxy.admin.views import spend_log_view
from llmrelay.proxy.http import Request
from llmrelay.storage.records import DailySpendFilter, SpendLogFilter
from llmrelay.storage.repos.spend import DailyGroup
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError

GROUPS = frozenset(get_args(DailyGroup))


def _day(params: dict[str, str], name: str) -> date | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise BadRequestError(f"{name} must be a date like 2026-01-31", param=name) from None
    if day == date.max:  # an inclusive end date is read as the next day's start, which has none
        raise BadRequestError(f"{name} must be before {date.max.isoformat()}", param=name)
    return day


class SpendRoutes:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def logs(self, req: Request, caller: Caller) -> None:
        params = query(req)
        request_id = params.get("request_id")
        user_id = params.get("user_id")
        if not caller.sees_all:
            user_id = caller.require_user("reading spend")
        if request_id is not None:
            found = await self.storage.spend.get_log(request_id)
            visible = found is not None and caller.may_manage(found.user_id)
            send(req, [spend_log_view(found)] if found is not None and visible else [])
            return
        start, end = _day(params, "start_date"), _day(params, "end_date")
        api_key = params.get("api_key")
        flt = SpendLogFilter(
            key_hash=key_hash_of(api_key) if api_key else None,
            user_id=user_id,
            team_id=params.get("team_id"),
            model=params.get("model"),
            start=datetime.combine(start, time(), UTC) if start else None,
            # end_date is inclusive, as in LiteLLM
            end=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
            limit=int_param(params, "limit", 100),
            offset=int_param(params, "offset", 0, low=0, high=10**9),
        )
        send(req, [spend_log_view(log) for log in await self.storage.spend.logs(flt)])

    async def daily(self, req: Request, caller: Caller) -> None:
        params = query(req)
        group_by = params.get("group_by", "model")
        if group_by not in GROUPS:
            raise BadRequestError(f"group_by must be one of {sorted(GROUPS)}", param="group_by")
        user_id = params.get("user_id")
        if not caller.sees_all:
            user_id = caller.require_user("reading spend")
        api_key = params.get("api_key")
        flt = DailySpendFilter(
            key_hash=key_hash_of(api_key) if api_key else None,
            user_id=user_id,
            team_id=params.get("team_id"),
            organization_id=params.get("organization_id"),
            start=_day(params, "start_date"),
            end=_day(params, "end_date"),
        )
        rows = await self.storage.spend.daily(flt, cast(DailyGroup, group_by))
        send(
            req,
            {
                "group_by": group_by,
                "data": [
                    {
                        "date": row.day.isoformat(),
                        group_by: row.group,
                        "spend": to_usd(row.cost_micros),
                        "requests": row.requests,
                        "failures": row.failures,
                        "prompt_tokens": row.prompt_tokens,
                        "completion_tokens": row.completion_tokens,
                    }
                    for row in rows
                ],
            },
        )
