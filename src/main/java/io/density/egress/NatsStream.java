package io.density.egress;

import io.density.config.DensityConfig;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The stream of the NATS egress and where each change goes in it: its subjects, the message id that
 * makes a change sent again a duplicate, and its settings (retention, duplicate window).
 */
final class NatsStream {
  /** JetStream's error code for "stream not found". */
  private static final int STREAM_NOT_FOUND = 10059;

  private final DensityConfig.Egress.Nats config;
  private final Duration duplicateWindow;

  /**
   * The duplicate window is {@code maxResend} (how long after its first sending a change may be
   * sent again), bounded by the stream's max age, as JetStream requires: a message the stream no
   * longer keeps cannot be stored twice anyway.
   */
  NatsStream(DensityConfig.Egress.Nats config, Duration maxResend) {
    if (maxResend == null || maxResend.isNegative() || maxResend.isZero()) {
      throw new IllegalArgumentException("the longest re-send must be positive: " + maxResend);
    }
    this.config = config;
    Duration maxAge = Duration.ofSeconds(config.maxAgeSeconds());
    this.duplicateWindow =
        config.maxAgeSeconds() > 0 && maxResend.compareTo(maxAge) > 0 ? maxAge : maxResend;
  }

  /**
   * {@code <prefix>.count.<space>}, {@code <prefix>.alert.<space>}, or {@code .alert.dpu.<dpu>}.
   */
  String subject(Change change) {
    String key = TopicIds.encode(change.key());
    return config.subjectPrefix()
        + switch (change.kind()) {
          case COUNT -> ".count.";
          case SPACE_ALERT -> ".alert.";
          case DPU_ALERT -> ".alert.dpu.";
        }
        + key;
  }

  /**
   * {@code <kind>:<encoded key>:<seq>} ({@code count:A%2FB:17}): one per change, the same each time
   * the change is sent, in ASCII whatever the id.
   */
  static String messageId(Change change) {
    return change.kind().token() + ":" + TopicIds.encode(change.key()) + ":" + change.seq();
  }

  /** The subjects the stream takes. */
  List<String> subjects() {
    String p = config.subjectPrefix();
    return List.of(p + ".count.*", p + ".alert.*", p + ".alert.dpu.*");
  }

  Duration duplicateWindow() {
    return duplicateWindow;
  }

  /**
   * Creates the stream, or updates an existing one to take this egress's subjects (keeping any
   * others it has) with the configured retention and duplicate window. Blocking.
   */
  void ensure(JetStreamManagement jsm) throws IOException, JetStreamApiException {
    StreamConfiguration have;
    try {
      have = jsm.getStreamInfo(config.stream()).getConfiguration();
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
        throw e;
      }
      jsm.addStream(
          settings(
                  StreamConfiguration.builder().name(config.stream()).storageType(StorageType.File))
              .subjects(subjects())
              .build());
      return;
    }
    List<String> subjects = new ArrayList<>(have.getSubjects());
    subjects.addAll(subjects().stream().filter(s -> !subjects.contains(s)).toList());
    StreamConfiguration wanted =
        settings(StreamConfiguration.builder(have)).subjects(subjects).build();
    if (!subjects.equals(have.getSubjects())
        || !wanted.getMaxAge().equals(have.getMaxAge())
        || wanted.getMaxBytes() != have.getMaxBytes()
        || !wanted.getDuplicateWindow().equals(have.getDuplicateWindow())) {
      jsm.updateStream(wanted);
    }
  }

  private StreamConfiguration.Builder settings(StreamConfiguration.Builder builder) {
    return builder
        .maxAge(Duration.ofSeconds(config.maxAgeSeconds()))
        .maxBytes(config.maxBytes() == 0 ? -1 : config.maxBytes())
        .duplicateWindow(duplicateWindow);
  }
}
