package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless browser: Debian's chromium driven through its chromedriver
 * ({@code .ci/run} installs both when missing). Nothing is downloaded: the driver and the browser
 * are named by path, so Selenium Manager is not asked for them.
 */
@DisplayName("Dashboard: the page at /ui/ in headless chromium")
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  private static TestServer server;
  private static Path profile;
  private static WebDriver browser;

  @BeforeAll
  static void start() throws IOException {
    for (Path p : new Path[] {CHROMIUM, CHROMEDRIVER}) {
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException(
            p
                + " is missing: install Debian's chromium and chromium-driver"
                + " (apt-get install -y chromium chromium-driver; .ci/run does it)");
      }
    }
    server = new TestServer().start();
    server.provisionSeedBuilding();
    profile = Files.createTempDirectory("density-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + profile);
    // The page's console, to fail on its errors (a script error, a refused request, a policy).
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
    browser.manage().window().setSize(new Dimension(1280, 900));
    // Every page records what its Content-Security-Policy refused, from before its first script.
    ((ChromeDriver) browser)
        .executeCdpCommand(
            "Page.addScriptToEvaluateOnNewDocument",
            Map.of(
                "source",
                "window.cspViolations = [];"
                    + " document.addEventListener('securitypolicyviolation', e =>"
                    + " window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI"
                    + " + ' ' + (e.sample || '')));"));
  }

  @AfterAll
  static void stop() throws IOException {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + server.config.http().port() + path;
  }

  private static String countOf(String space) {
    return browser
        .findElement(By.cssSelector(".space[data-space='" + space + "'] .value"))
        .getText()
        .trim();
  }

  @Test
  @DisplayName("asks for a read token, shows the sample building, and a datapoint changes a count")
  void liveCounts() throws IOException {
    try {
      drive();
    } catch (TimeoutException e) {
      // What the page showed, for the failure's message.
      throw new AssertionError(
          e.getMessage().lines().findFirst().orElse("")
              + "\nthe page at "
              + browser.getCurrentUrl()
              + ":\n"
              + browser.getPageSource(),
          e);
    }
  }

  @Test
  @DisplayName(
      "/docs/ renders every operation of the API document, needing no token, with no policy refused")
  void apiReference() throws IOException, InterruptedException {
    java.net.http.HttpResponse<String> page =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url("/docs/"))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode(), "the reference is public, like the document");
    String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(
        policy.contains("script-src 'self';") && policy.contains("style-src 'self';"),
        "no inline script or style is allowed: " + policy);
    assertTrue(!policy.contains("unsafe-"), policy);

    JsonObject document = server.get("/openapi.json").json();
    int operations = 0;
    for (String path : document.getJsonObject("paths").fieldNames()) {
      for (String method : document.getJsonObject("paths").getJsonObject(path).fieldNames()) {
        operations += List.of("get", "put", "post", "delete", "patch").contains(method) ? 1 : 0;
      }
    }
    int expected = operations;
    WebDriverWait wait = new WebDriverWait(browser, DEADLINE);
    browser.manage().logs().get(LogType.BROWSER).getAll(); // the console from here on
    browser.get(url("/docs/"));
    try {
      wait.until(d -> d.findElements(By.cssSelector(".opblock")).size() == expected);
    } catch (TimeoutException e) {
      throw new AssertionError(
          browser.findElements(By.cssSelector(".opblock")).size()
              + " operations rendered of "
              + expected
              + "; the page:\n"
              + browser.getPageSource(),
          e);
    }
    assertTrue(
        browser.findElement(By.tagName("body")).getText().contains("One datapoint (the seed API)"),
        "operations are listed by their summaries");
    // One operation opened: its parameters, body and answers with their schemas.
    browser.findElement(By.cssSelector("#operations-ingest-ingestDatapoints button")).click();
    wait.until(
        ExpectedConditions.visibilityOfElementLocated(
            By.cssSelector("#operations-ingest-ingestDatapoints .responses-wrapper")));
    assertEquals(
        List.of(),
        ((JavascriptExecutor) browser).executeScript("return window.cspViolations"),
        "what the page's Content-Security-Policy refused");
    List<String> errors =
        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
            .map(LogEntry::getMessage)
            .toList();
    assertEquals(List.of(), errors, "the page's console");
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, Path.of("target/docs.png"), StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * A day of traffic in the sample building, A in Paris time with a capacity and an alert rule, so
   * that every panel has something to show (and the screenshot with it).
   */
  private static void aDayOfTraffic() {
    Reply a =
        server.putJson(
            "/v1/spaces/A",
            new JsonObject()
                .put("name", "Space A")
                .put("time_zone", "Europe/Paris")
                .put("capacity", 12));
    assertTrue(a.status() < 300, a.json().encode());
    Reply rules =
        server.putJson(
            "/v1/spaces/A/alerts",
            new JsonObject()
                .put(
                    "levels",
                    new JsonArray().add(new JsonObject().put("name", "busy").put("level", 3))));
    assertTrue(rules.status() < 300, rules.json().encode());
    Instant now = Instant.now();
    // Visitors until two hours from now, of whom those not yet arrived are left out: some are
    // inside now.
    JsonArray day = new JsonArray();
    SeedBuilding.day(now.minus(Duration.ofHours(24)), now.plus(Duration.ofHours(2)), 60, 7).stream()
        .filter(d -> Instant.parse(d.getString("timestamp")).isBefore(now.minusSeconds(60)))
        .forEach(day::add);
    Reply fed = server.postJson("/v1/datapoints", day);
    assertEquals(0, fed.json().getInteger("rejected"), fed.json().encode());
    assertTrue(
        Await.until(
            () -> !server.get("/v1/alerts").json().getJsonArray("items").isEmpty(), DEADLINE),
        "an alert fired");
  }

  private void drive() throws IOException {
    aDayOfTraffic();
    String token = server.createToken("read");
    WebDriverWait wait = new WebDriverWait(browser, DEADLINE);

    browser.get(url("/ui/"));
    WebElement field = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    field.sendKeys(token);
    browser.findElement(By.cssSelector("#login button[type=submit]")).click();

    // Spaces A and B with their counts read, the stream open, every panel filled.
    wait.until(
        ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".space[data-space='A']")));
    wait.until(
        ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".space[data-space='B']")));
    wait.until(d -> countOf("A").matches("-?\\d+") && countOf("B").matches("-?\\d+"));
    wait.until(ExpectedConditions.textToBe(By.id("live"), "live"));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#chart .uplot")));
    wait.until(ExpectedConditions.textToBe(By.id("chart-zone"), "(Europe/Paris)"));
    // Under the chart, A's doorways (X, its outer door, and Z, from B) with their traffic.
    wait.until(
        d ->
            d.findElements(By.cssSelector("#doorways tr[data-doorway]")).stream()
                .map(r -> r.getAttribute("data-doorway"))
                .toList()
                .equals(List.of("X", "Z")));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#dpus tr[data-dpu]")));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#alerts tr.alert")));
    assertTrue(
        browser
            .findElement(By.cssSelector(".space[data-space='A'] .name"))
            .getText()
            .contains("Space A"));
    assertEquals(
        "/ 12", browser.findElement(By.cssSelector(".space[data-space='A'] .capacity")).getText());
    assertEquals(
        Boolean.TRUE,
        ((JavascriptExecutor) browser).executeScript("return typeof uPlot === 'function'"),
        "the chart library is served from the WebJar");
    assertEquals(
        Boolean.FALSE,
        ((JavascriptExecutor) browser)
            .executeScript(
                "return document.querySelector(\"#dpus tr[data-dpu='283']\")"
                    + ".classList.contains('silent')"),
        "DPU 283 has just sent datapoints: not silent");
    assertTrue(
        browser
            .findElement(By.id("dpu-summary"))
            .getText()
            .matches("2 registered, 2 reporting; \\d+ silent for 60 min, 0 never reported"),
        browser.findElement(By.id("dpu-summary")).getText());

    int before = Integer.parseInt(countOf("A"));
    Reply sent = server.sendDatapoint("283", Instant.now(), 1);
    assertEquals(200, sent.status(), sent.json().encode());
    assertTrue(
        Await.until(
            () -> server.get("/v1/spaces/A/count").json().getInteger("count") == before + 1,
            DEADLINE),
        "the datapoint adds one to A");

    // Only the event stream updates the count: the page reads counts again only on reconnecting.

    wait.until(d -> countOf("A").equals(String.valueOf(before + 1)));
    List<String> errors =
        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
            .map(LogEntry::getMessage)
            // The page's first request, without a token, finds out whether tokens are on.
            .filter(m -> !m.matches("\\S+/v1/spaces - Failed to load resource: .* 401 .*"))
            .toList();
    assertEquals(List.of(), errors, "the page's console");

    // The screenshot of docs/: -Ddashboard.screenshot=docs/dashboard.png writes it there.
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Path target = Path.of(System.getProperty("dashboard.screenshot", "target/dashboard.png"));
    if (target.getParent() != null) {
      Files.createDirectories(target.getParent());
    }
    Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
  }
}
