"""One module per `groupsim` subcommand: HELP, add_arguments(parser), run(args) -> exit status."""
