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
 */
final class PathGuard implements Handler<RoutingContext> {
  /** A segment that is one or two dots, each written as {@code .} or {@code %2e}. */
  private static final Pattern DOT_SEGMENT = Pattern.compile("(?:^|/)(?:\\.|%2[eE]){1,2}(?:/|$)");

  @Override
  public void handle(RoutingContext rc) {
    String path = rc.request().path();
    if (path != null && hasDotSegment(path)) {
      throw InvalidInput.malformed("path", "a path with . or .. segments is not served");
    }
    rc.next();
  }

  static boolean hasDotSegment(String path) {
    return DOT_SEGMENT.matcher(path).find();
  }
}
