"""How the OpenAPI schema describes our authentication (loaded in ApiConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.tokens.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`manage.py create_api_token`, the admin or the "
            "workspace): `Authorization: Bearer jrn_…`. It acts as its user, within its scopes.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.tokens.CsrfSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
    "example": {
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "fields": {"subject": ["This field is required."]},
        }
    },
}
ERRORS = {
    "400": "Invalid input: `fields` names each field at fault.",
    "401": "No valid credentials (missing, expired or revoked token).",
    "403": "Not allowed: not an agent, or the token lacks the scope.",
    "404": "Not found, or out of your reach.",
    "405": "Method not allowed.",
    "409": "A retry while the first request with its Idempotency-Key is still running.",
    "415": "Unsupported media type.",
    "422": "Refused by the ticket's state (the code says why), or an Idempotency-Key reused "
    "with another request.",
    "429": "Too many requests: see Retry-After.",
}
RATE_HEADERS = {
    name: {"schema": {"type": "integer"}, "description": text}
    for name, text in (
        ("RateLimit-Limit", "Requests allowed in the window."),
        ("RateLimit-Remaining", "Requests left in the window."),
        ("RateLimit-Reset", "Seconds until the window frees a request."),
    )
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every /api/v1/ operation may answer the errors of
    the one error shape, and every answer may carry RateLimit-* headers; a POST accepts an
    Idempotency-Key header."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/kb/sugges"):
            continue
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
            for code, response in responses.items():
                if code.startswith("2") or code == "429":
                    response.setdefault("headers", {}).update(RATE_HEADERS)
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait.",
            }
            if method == "post":
                operation.setdefault("parameters", []).append(
                    {
                        "in": "header",
                        "name": "Idempotency-Key",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 255},
                        "description": "Retry safely: the same key within 24 h returns the "
                        "first answer; with another body, 422.",
                    }
                )
    return result
