package io.density.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("What a webhook's URL shows outside the admin scope")
class WebhookUrlsTest {
  @Test
  @DisplayName("outside the admin scope, a URL's credentials are masked")
  void masking() {
    assertEquals(
        "https://***@hooks.example.com:8443/a/b?***#***",
        WebhookUrls.masked("https://user:pw@hooks.example.com:8443/a/b?token=s3cret#frag"));
    assertEquals(
        "https://hooks.example.com/density",
        WebhookUrls.masked("https://hooks.example.com/density"));
    assertEquals("http://[::1]:80/x?***", WebhookUrls.masked("http://[::1]:80/x?a=b"));
    assertEquals("***", WebhookUrls.masked("not a url"));
    assertEquals(
        "The timeout period of 300ms has been exceeded while executing POST /h?*** for server"
            + " 127.0.0.1:80",
        WebhookUrls.withoutSecrets(
            "The timeout period of 300ms has been exceeded while executing POST /h?token=s3cret"
                + " for server 127.0.0.1:80",
            "http://127.0.0.1/h?token=s3cret"));
    assertEquals(
        "failed: https://***@h.example/?***",
        WebhookUrls.withoutSecrets(
            "failed: https://u:p@h.example/?t=1", "https://u:p@h.example/?t=1"));
    assertEquals("HTTP 500", WebhookUrls.withoutSecrets("HTTP 500", "https://h.example/?t=500"));
  }
}
