"""The in-memory principal table: key hash → KeyPrincipal, with owner indexes so a change to a user,
team or organization finds the keys it affects, and a short-lived negative entry for unknown hashes.
Plain data structure, no I/O: `PrincipalSync` fills and corrects it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from llmrelay.calls.key_principal import KeyPrincipal

Owner = tuple[str, str]  # ("user" | "team" | "organization", id)


def _owners(principal: KeyPrincipal) -> list[Owner]:
    owners = []
    if principal.user_id:
        owners.append(("user", principal.user_id))
    if principal.team_id:
        owners.append(("team", principal.team_id))
    if principal.organization_id:
        owners.append(("organization", principal.organization_id))
    owners.extend(("budget", scope.ident) for scope in principal.limits if scope.scope == "budget")
    return owners


class PrincipalCache:
    def __init__(
        self,
        *,
        negative_ttl: float = 1.0,
        max_negative: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.negative_ttl = negative_ttl
        self.max_negative = max_negative
        self._clock = clock
        self._by_hash: dict[str, KeyPrincipal] = {}
        self._by_owner: defaultdict[Owner, set[str]] = defaultdict(set)
        self._unknown: dict[str, float] = {}  # hash → monotonic expiry, insertion-ordered
        # counts the changes to the table: a principal read at one generation is still the cached
        # one while the generation is unchanged (the key gate's check, with no second lookup)
        self.generation = 0

    def __len__(self) -> int:
        return len(self._by_hash)

    def get(self, key_hash: str) -> KeyPrincipal | None:
        return self._by_hash.get(key_hash)

    def known_unknown(self, key_hash: str) -> bool:
        """True while a recent load found no such key (so a flood of bad keys is not a flood of
        database reads)."""
        expiry = self._unknown.get(key_hash)
        if expiry is None:
            return False
        if self._clock() < expiry:
            return True
        del self._unknown[key_hash]
        return False

    def put(self, principal: KeyPrincipal) -> None:
        self.remove(principal.key_hash)
        self.generation += 1
        self._by_hash[principal.key_hash] = principal
        for owner in _owners(principal):
            self._by_owner[owner].add(principal.key_hash)

    def remove(self, key_hash: str) -> None:
        self._unknown.pop(key_hash, None)
        old = self._by_hash.pop(key_hash, None)
        if old is None:
            return
        self.generation += 1
        for owner in _owners(old):
            hashes = self._by_owner.get(owner)
            if hashes is not None:
                hashes.discard(key_hash)
                if not hashes:
                    del self._by_owner[owner]

    def mark_unknown(self, key_hash: str) -> None:
        self.remove(key_hash)
        if len(self._unknown) >= self.max_negative:
            del self._unknown[next(iter(self._unknown))]  # the oldest entry
        self._unknown[key_hash] = self._clock() + self.negative_ttl

    def keys_of(self, kind: str, ident: str) -> set[str]:
        return set(self._by_owner.get((kind, ident), ()))

    def replace_all(self, principals: Iterable[KeyPrincipal]) -> None:
        """Swap in a complete table (after a full reload)."""
        self._by_hash.clear()
        self._by_owner.clear()
        self._unknown.clear()
        self.generation += 1
        for principal in principals:
            self.put(principal)

    def hashes(self) -> list[str]:
        return list(self._by_hash)
