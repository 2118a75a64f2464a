"""One module per `journeys` subcommand; `orchestration.cli` loads them lazily."""
