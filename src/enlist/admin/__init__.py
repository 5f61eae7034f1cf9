"""The admin web pages: where a customer's admin sets up provisioning and learns why it failed."""
