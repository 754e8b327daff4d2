package io.density.alerts;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * What a webhook's URL may show to whom. A receiver often takes its credentials in the URL
 * (userinfo {@code user:pw@}, a {@code ?token=} query, a fragment): only an admin token sees the
 * URL whole; every other reader sees {@code https://***@host:port/path?***#***}. Error messages of
 * deliveries (an HTTP client's timeout names the request's path and query) are stored and logged
 * without those parts.
 */
final class WebhookUrls {
  static final String HIDDEN = "***";

  private WebhookUrls() {}

  /** The URL with its userinfo, query and fragment replaced by {@code ***}. */
  static String masked(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException | NullPointerException e) {
      return HIDDEN;
    }
    if (uri.getScheme() == null || uri.getRawAuthority() == null) {
      return HIDDEN; // not a URL the rule would store: show nothing of it
    }
    StringBuilder shown = new StringBuilder(uri.getScheme()).append("://");
    String authority = uri.getRawAuthority();
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      shown.append(HIDDEN).append('@').append(authority.substring(at + 1));
    } else {
      shown.append(authority);
    }
    if (uri.getRawPath() != null) {
      shown.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      shown.append('?').append(HIDDEN);
    }
    if (uri.getRawFragment() != null) {
      shown.append('#').append(HIDDEN);
    }
    return shown.toString();
  }

  /** A text (an error message) with the URL's userinfo, query and fragment replaced by ***. */
  static String withoutSecrets(String text, String url) {
    if (text == null || url == null) {
      return text;
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return text.replace(url, HIDDEN);
    }
    String out = text.replace(url, masked(url));
    out = hide(out, uri.getRawUserInfo(), "", "@");
    out = hide(out, uri.getUserInfo(), "", "@");
    out = hide(out, uri.getRawQuery(), "?", "");
    out = hide(out, uri.getQuery(), "?", "");
    out = hide(out, uri.getRawFragment(), "#", "");
    return hide(out, uri.getFragment(), "#", "");
  }

  /** The text with each {@code before + secret + after} turned into {@code before *** after}. */
  private static String hide(String text, String secret, String before, String after) {
    if (secret == null || secret.isEmpty()) {
      return text;
    }
    return text.replace(before + secret + after, before + HIDDEN + after);
  }
}
