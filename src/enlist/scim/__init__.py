"""The SCIM 2.0 HTTP API: routing, request reading, dialect tolerance, responses, discovery."""
