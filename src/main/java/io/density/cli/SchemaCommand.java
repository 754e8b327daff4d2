package io.density.cli;

import picocli.CommandLine.Command;

/** {@code schema}: the group of schema commands ({@link SchemaMigrateCommand}). */
@Command(
    name = "schema",
    mixinStandardHelpOptions = true,
    description = "The database schema.",
    subcommands = {SchemaMigrateCommand.class})
public final class SchemaCommand {}
