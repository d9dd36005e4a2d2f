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
