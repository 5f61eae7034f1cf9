"""Events out of Enlist: where webhooks may go, how they are signed, sent and retried."""
