"""Use cases: one function per thing a person, the CLI or an identity provider does."""
