"""What the clinic emails: the messages, the outbox that sends them, the calendar files they carry."""
