"""The users service: identity, JWT issuing and the user-event outbox."""
