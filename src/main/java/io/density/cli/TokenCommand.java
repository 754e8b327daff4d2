package io.density.cli;

import picocli.CommandLine.Command;

/** {@code token}: the group of token commands ({@link TokenCreateCommand}). */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "API tokens.",
    subcommands = {TokenCreateCommand.class})
public final class TokenCommand {}
