package io.density.cli;

import io.density.api.BodyRules;
import io.density.auth.TokenRequest;
import io.density.auth.TokenStore;
import io.density.bus.InvalidInput;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.Schema;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code token create --scope ingest|read|admin [--name NAME] [--expires T]}: makes an API token in
 * the configured database and prints it, alone, on the last line (it is never shown again).
 */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = {
      "Makes an API token in the configured database and prints it, alone, on the last line;"
          + " it is never shown again."
    })
public final class TokenCreateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--scope",
      required = true,
      paramLabel = "ingest|read|admin",
      description = "what the token may do")
  String scope;

  @Option(names = "--name", paramLabel = "NAME", description = "a name to tell tokens apart")
  String name;

  @Option(
      names = "--expires",
      paramLabel = "T",
      description = "when the token stops working (ISO-8601 instant, e.g. 2027-01-01T00:00:00Z)")
  String expires;

  @Override
  public Integer call() {
    JsonObject request = new JsonObject().put("scope", scope);
    if (name != null) {
      request.put("name", name);
    }
    if (expires != null) {
      try {
        request.put("expires_at", Instant.parse(expires).toString());
      } catch (DateTimeParseException e) {
        throw new ParameterException(
            spec.commandLine(), "--expires is an ISO-8601 instant: " + expires);
      }
    }
    TokenRequest.Create create;
    try {
      BodyRules.check("TokenBody", request); // the rules of POST /v1/tokens
      create = TokenRequest.Create.of(request);
    } catch (InvalidInput e) {
      Object given = e.field() == null ? null : request.getValue(e.field());
      throw new ParameterException(
          spec.commandLine(), e.getMessage() + (given == null ? "" : " (given: " + given + ")"));
    }
    return create(create);
  }

  private static int create(TokenRequest.Create request) {
    Vertx vertx = Vertx.vertx();
    DensityConfig config = null;
    try {
      config = Startup.configured();
      Pool pool = Connections.postgres(vertx, config.postgres(), "token-create");
      JsonObject token =
          Schema.apply(vertx, config.postgres())
              .compose(v -> new TokenStore(pool).create(request))
              .eventually(pool::close)
              .await();
      System.out.println(
          "token "
              + token.getLong("id")
              + " ("
              + token.getString("scope")
              + (token.getString("name") == null ? "" : ", " + token.getString("name"))
              + "); keep it now, it is not shown again:");
      System.out.println(token.getString("token"));
      vertx.close().await();
      return 0;
    } catch (Throwable e) {
      System.err.println("token create failed: " + StartupFaults.explain(e, config));
      return 1;
    }
  }
}
