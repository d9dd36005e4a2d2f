"""Who really sent an email: the verdicts of the mail systems that received it.

A From header is a claim. What counts is what a receiving host the operator trusts checked:
- `Authentication-Results` (RFC 8601) added by a host named in JORNADA_TRUSTED_AUTHSERV_IDS.
  Only the topmost such header is read: a receiving host prepends its own and must remove any
  copy of it that arrived with the message (RFC 8601 section 5), so one written by the sender
  sits below it. A host that adds none leaves the sender unauthenticated.
- the verdicts an ESP sends beside the message in its signed webhook (Amazon SES's receipt
  verdicts, SendGrid's SPF/DKIM fields, every ESP's spam flag through anymail).
- a mailbox whose mail server the operator trusts (Mailbox.trusts_mta): it accepts only mail
  that passed its checks.

The sender is authenticated when DMARC passed for the domain of its single From address
(`dmarc=pass header.from=<that domain>`): DMARC pass means SPF or DKIM passed for a domain
aligned with the From. SPF and DKIM results are kept for the agents to read, not trusted alone.

The header is parsed here rather than with the `authres` package: real headers break it
(Amazon SES writes `client-ip=...` without a property type; Microsoft omits the authserv-id),
and a verdict we cannot read must read as "not authenticated", never as an error."""

import re
from dataclasses import dataclass, field

AUTHENTICATION_RESULTS = "Authentication-Results"
_COMMENT_OR_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\((?:[^()\\]|\\.)*\)')
INFO_METHODS = ("dmarc", "spf", "dkim")


@dataclass(frozen=True)
class MethodResult:
    method: str  # dmarc, spf, dkim, arc... lower-case
    result: str  # pass, fail, none, ... lower-case
    properties: dict[str, str] = field(default_factory=dict)  # "header.from" -> "example.com"

    def text(self) -> str:
        shown = " ".join(f"{name}={value}" for name, value in self.properties.items())
        return f"{self.method}={self.result}" + (f" {shown}" if shown else "")


@dataclass(frozen=True)
class AuthenticationResults:
    authserv_id: str  # lower-case; "" when the header has none (Microsoft's)
    results: tuple[MethodResult, ...]

    def first(self, method: str) -> MethodResult | None:
        return next((result for result in self.results if result.method == method), None)


def _without_comments(value: str) -> str:
    """Comments (nested ones too) become spaces; quoted strings lose their quotes but keep
    their text, with the separators inside them made harmless."""
    previous = None
    while previous != value:
        previous = value
        value = _COMMENT_OR_QUOTED.sub(
            lambda m: " " if m.group().startswith("(") else _unquote(m.group()), value
        )
    return value


def _unquote(quoted: str) -> str:
    return re.sub(r"[;\s]+", "_", quoted[1:-1].replace("\\", ""))


def parse_authentication_results(value: str) -> AuthenticationResults:
    """One header's value, read leniently: what cannot be read is left out."""
    segments = [segment.strip() for segment in _without_comments(value).split(";")]
    head = segments[0].split() if segments else []
    if head and "=" not in head[0]:
        authserv_id, rest = head[0].lower().rstrip("."), segments[1:]
    else:
        authserv_id, rest = "", segments
    results = []
    for segment in rest:
        tokens = segment.split()
        if not tokens or "=" not in tokens[0]:
            continue  # "none", or a stray word
        method, _, result = tokens[0].partition("=")
        properties = {}
        for token in tokens[1:]:
            name, equals, prop = token.partition("=")
            if equals and name and prop:
                properties.setdefault(name.lower(), prop.strip().strip("<>"))
        results.append(
            MethodResult(
                method=method.split("/")[0].lower(),
                result=result.lower(),
                properties=properties,
            )
        )
    return AuthenticationResults(authserv_id=authserv_id, results=tuple(results))


@dataclass(frozen=True)
class SenderAuthentication:
    authenticated: bool
    reason: str  # why, in a line (English, as stored; shown to agents as a detail)
    checks: dict[str, str] = field(default_factory=dict)  # method -> what was found (info)
    by: str = ""  # what vouched: "mailbox" (its trusted server), "dmarc", "esp"; "" for nobody

    def metadata(self) -> dict:
        return {"reason": self.reason, "by": self.by, **self.checks}


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def sender_authentication(
    *,
    from_address: str,
    from_count: int,
    results: tuple[AuthenticationResults, ...],
    trusted_authserv_ids: frozenset[str],
    esp_verdict: dict | None = None,
    trusted_mailbox: str = "",
) -> SenderAuthentication:
    """Whether the email's sender is who its From says. `results`: its Authentication-Results
    headers, top first; `esp_verdict`: what the ESP's webhook said beside it; `trusted_mailbox`:
    the address of the mailbox it came through when the operator trusts that mailbox's server."""
    trusted = next(
        (r for r in results if r.authserv_id and r.authserv_id in trusted_authserv_ids), None
    )
    checks = {}
    if trusted is not None:
        checks["authserv_id"] = trusted.authserv_id
        for method in INFO_METHODS:
            found = trusted.first(method)
            if found is not None:
                checks[method] = found.text()[:300]
    esp_verdict = esp_verdict or {}
    for method in INFO_METHODS:
        if esp_verdict.get(method) and method not in checks:
            checks[method] = f"{method}={esp_verdict[method]} (ESP)"[:300]

    def verdict(authenticated: bool, reason: str, by: str = "") -> SenderAuthentication:
        return SenderAuthentication(authenticated, reason, checks, by)

    if trusted_mailbox:
        reason = f"received through {trusted_mailbox}, whose mail server is trusted"
        return verdict(True, reason, by="mailbox")
    if from_count != 1:
        return verdict(False, f"{from_count} From addresses: DMARC cannot vouch for any")
    if esp_verdict.get("spam_detected") is True:
        return verdict(False, "the ESP flagged it as spam")
    domain = _domain(from_address)
    if esp_verdict.get("dmarc") == "pass":
        return verdict(True, f"dmarc=pass for {domain}, by the ESP", by="esp")
    if trusted is None:
        return verdict(False, "no Authentication-Results from a receiving host we trust")
    dmarc = [result for result in trusted.results if result.method == "dmarc"]
    aligned = [r for r in dmarc if _domain(r.properties.get("header.from", "")) == domain]
    if not aligned:
        found = f"dmarc={dmarc[0].result}" if dmarc else "no DMARC result"
        return verdict(False, f"{found} for {domain} at {trusted.authserv_id}")
    if aligned[0].result != "pass":
        return verdict(False, f"dmarc={aligned[0].result} for {domain} at {trusted.authserv_id}")
    return verdict(True, f"dmarc=pass for {domain} at {trusted.authserv_id}", by="dmarc")
