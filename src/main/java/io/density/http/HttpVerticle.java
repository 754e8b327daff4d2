package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Nearest;
import io.density.bus.Service;
import io.density.cluster.NodeState;
import io.density.config.DensityConfig;
import io.density.ingest.Inserter;
import io.density.query.QueryRequest;
import io.density.telemetry.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The HTTP API. It validates what comes in and hands everything else to the other verticles over
 * the event bus, so it scales by instances (and by nodes, in a cluster).
 *
 * <p>Config: {@code {http, ingest}} slices.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(HttpVerticle.class.getName());

  /** A connection with no bytes either way for this long is closed, whatever it waits for. */
  private static final int STALLED_SECONDS =
      (int) (Forward.LONG_WORK.getSendTimeout() / 1000) + 5 * 60;

  private HttpServer server;

  @Override
  public Future<?> start() {
    DensityConfig.Http http = config().getJsonObject("http").mapTo(DensityConfig.Http.class);
    DensityConfig.Ingest ingest =
        config().getJsonObject("ingest").mapTo(DensityConfig.Ingest.class);

    DensityConfig.Logging logging =
        config().getJsonObject("logging", new JsonObject()).mapTo(DensityConfig.Logging.class);

    JsonArray roles = config().getJsonArray("roles", new JsonArray());
    Router router = Router.router(vertx);
    // First: every answer, a preflight, a 401 or a refused connection included, carries the
    // request's id.
    router.route().handler(new RequestLog(logging.access()));
    router.route().handler(new PathGuard());
    ClientAddress clients = new ClientAddress(http.trustedProxyList());
    ConnectionGuard connections =
        new ConnectionGuard(
            vertx,
            http.perInstance(http.maxConnections()),
            http.maxConnections(),
            http.perInstance(http.maxConnectionsPerClient()),
            http.requestHeadTimeoutSeconds() * 1000L,
            http.idleTimeoutSeconds() * 1000L,
            clients);
    router.route().handler(connections);
    if (!http.corsOriginList().isEmpty()) {
      // Before the tokens: a browser's preflight carries none.
      router
          .route()
          .handler(
              CorsHandler.create()
                  .addOrigins(http.corsOriginList())
                  .allowedMethods(
                      Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE))
                  .allowedHeaders(Set.of("Authorization", "Content-Type", "Accept")));
    }
    if (config().getJsonObject("auth").mapTo(DensityConfig.Auth.class).enabled()) {
      router.route().handler(new Auth(vertx));
    }
    IngestRoutes ingestRoutes =
        new IngestRoutes(vertx, new Inserter(vertx, ingest, roles.getList()), http.maxBatchItems());
    ingestRoutes.mountShedding(router);
    router
        .route()
        .handler(
            new BodyBudget(
                vertx,
                http.perInstance(http.maxBodyBytesHeld()),
                http.perInstance(http.maxBodyBytesHeldPerClient()),
                http.maxBodyBytes(),
                http.minBodyBytesPerSecond(),
                http.bodyGraceSeconds() * 1000L,
                clients));
    // Only the methods that carry a body: for any other, a form content type makes the body
    // handler throw (a 500) instead of being ignored.
    // (Not a route limited to those methods: that would answer 405 to a GET of an unknown path.)
    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(http.maxBodyBytes());
    Set<HttpMethod> withBody =
        Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
    router
        .route()
        .handler(
            rc -> {
              if (withBody.contains(rc.request().method())) {
                bodies.handle(rc);
              } else {
                rc.next();
              }
            });
    Future<Void> checks = ApiValidation.mount(vertx, router);
    ingestRoutes.mount(router);
    new QueryRoutes(vertx, roles.contains("query")).mount(router);
    new RegistryRoutes(vertx, http.maxBatchItems()).mount(router);
    new HistoryRoutes(vertx).mount(router);
    new DoorwayRoutes(vertx).mount(router);
    new AdminRoutes(vertx).mount(router);
    new AlertRoutes(vertx).mount(router);
    new TokenRoutes(vertx).mount(router);
    Dashboard.mount(router);
    ApiReference.mount(router);
    router
        .get("/health")
        .handler(
            HealthCheckHandler.createWithHealthChecks(
                HealthChecks.create(vertx)
                    .register("process", promise -> promise.complete(Status.OK()))));
    if (Metrics.prometheus(vertx) != null) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(Metrics.prometheus(vertx)));
    }
    router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness()));
    ApiDocument.mount(router);

    router.route().failureHandler(Responses::failed);
    router.errorHandler(405, rc -> Responses.error(rc, 405, null, "method not allowed"));
    router.errorHandler(
        404, rc -> Responses.error(rc, 404, null, "no such resource: " + rc.request().path()));

    // Idle connections are closed by the connection guard, which knows a connection whose request
    // waits for its answer (a move recounting a DPU's history, a replay) is not idle; slow bodies
    // by the body budget, event streams that stop reading by the stream itself; a TLS handshake
    // times out on its own. The socket's own idle timeout is only a backstop, for a client that
    // stops reading a file mid-way: longer than any request may wait for its answer.
    // No cleartext HTTP/2 upgrade: answers to upgraded requests were sometimes never sent (seen
    // with Java's HttpClient, which asks for it by default); HTTP/1.1 serves every client.
    HttpServerOptions options =
        new HttpServerOptions().setIdleTimeout(STALLED_SECONDS).setHttp2ClearTextEnabled(false);
    if (http.tls()) {
      options
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(http.tlsCertFile())
                  .setKeyPath(http.tlsKeyFile()));
    }
    server = vertx.createHttpServer(options);
    connections.watch(server);
    return new EventStream(vertx, http.perInstance(http.maxEventStreams()), http.maxEventStreams())
        .start(router)
        .compose(v -> checks)
        .compose(v -> server.requestHandler(router).listen(http.port(), http.host()))
        .onSuccess(
            s -> LOG.info((http.tls() ? "HTTPS" : "HTTP") + " API on port " + s.actualPort()));
  }

  /**
   * Ready when the node has deployed every verticle of its roles (the schema applied first, the
   * cluster joined before) and is not shutting down, the realtime state is loaded (Redis) and the
   * registry answers (PostgreSQL).
   */
  private HealthChecks readiness() {
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register(
        "node", promise -> promise.complete(NodeState.ready(vertx) ? Status.OK() : Status.KO()));
    // A check that outlives the framework's own timeout has been answered already (KO): its late
    // answer is dropped, hence tryComplete.
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(2_000);
    checks.register(
        "redis",
        promise ->
            Nearest.<JsonObject>request(vertx, Addresses.COUNTER_STATUS, new JsonObject(), quick)
                .onSuccess(
                    m ->
                        promise.tryComplete(
                            m.body().getBoolean("loaded") ? Status.OK() : Status.KO()))
                .onFailure(err -> promise.tryComplete(Status.KO())));
    // Counting stalled (a batch uncounted for ingest.stalledBatchSeconds) is a detail, not DOWN:
    // the node still answers queries, and ingest answers 503 itself, which a sender can act on.
    checks.register(
        "counting",
        promise ->
            vertx
                .eventBus()
                .<JsonObject>request(Addresses.COUNTING_STATUS, new JsonObject(), quick)
                .onSuccess(m -> promise.tryComplete(Status.OK(m.body())))
                .onFailure(err -> promise.tryComplete(Status.OK())));
    // A broker that egress cannot reach is a detail, not DOWN: counting and answers go on, and
    // the changes wait in the outbox (docs/egress.md). No answer: egress is off, or changing hands.
    checks.register(
        "egress",
        promise ->
            vertx
                .eventBus()
                .<JsonObject>request(Addresses.EGRESS_STATUS, new JsonObject(), quick)
                .onSuccess(m -> promise.tryComplete(Status.OK(m.body())))
                .onFailure(err -> promise.tryComplete(Status.OK())));
    checks.register(
        "postgres",
        promise ->
            new Service<>(vertx, Addresses.QUERY, QueryRequest.class)
                .ask(new QueryRequest.Realtime("-health-"), quick)
                .onSuccess(m -> promise.tryComplete(Status.OK()))
                .onFailure(err -> promise.tryComplete(Status.KO())));
    return checks;
  }

  @Override
  public Future<?> stop() {
    // No new connections; requests in flight get up to 7 s to be answered.
    return server == null ? Future.succeededFuture() : server.shutdown(7, TimeUnit.SECONDS);
  }
}
