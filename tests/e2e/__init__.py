"""End-to-end tests: all processes on PostgreSQL and RabbitMQ."""
