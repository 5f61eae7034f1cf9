"""People sign in through their organisation's identity provider (OpenID Connect)."""
