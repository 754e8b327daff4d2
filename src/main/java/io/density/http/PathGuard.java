package io.density.http;

import io.density.bus.InvalidInput;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * Refuses (400) a request whose path has a dot segment, {@code .} or {@code ..}, written plainly or
 * percent-encoded in any case. The router dispatches on the path with dot segments removed, so
 * {@code /ui/../v1/tokens} would reach the tokens route; no client of this API needs such a path
 * (browsers and HTTP libraries remove dot segments before sending), so none is served, whatever it
 * would resolve to. Every other decision (the token check, the routes) is taken on the path the
 * router dispatches: {@link RoutingContext#normalizedPath()}.
 *
 * <p>Refuses (400) too a path with a {@code %} that does not start a percent-encoded byte (two hex
 * digits), answering it here: the router cannot decode such a path, so a failure would fail again
 * while the router looks for its handler (matching a route with a path decodes the path), and be
 * logged as an error of the server with a plain-text answer.
 */
final class PathGuard implements Handler<RoutingContext> {
  /** A segment that is one or two dots, each written as {@code .} or {@code %2e}. */
  private static final Pattern DOT_SEGMENT = Pattern.compile("(?:^|/)(?:\\.|%2[eE]){1,2}(?:/|$)");

  /** A {@code %} not followed by two hex digits. */
  private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2})");

  @Override
  public void handle(RoutingContext rc) {
    String path = rc.request().path();
    if (path != null && hasDotSegment(path)) {
      throw InvalidInput.malformed("path", "a path with . or .. segments is not served");
    }
    if (path != null && BAD_ESCAPE.matcher(path).find()) {
      Responses.error(
          rc, 400, "path", "a % in the path must start a percent-encoded byte, as %41 for A");
      return;
    }
    rc.next();
  }

  static boolean hasDotSegment(String path) {
    return DOT_SEGMENT.matcher(path).find();
  }
}
