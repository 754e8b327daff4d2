package io.density.query;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The count questions of {@code density.query} (bus/Addresses.QUERY), each a record; instants in
 * µs. Built where the question enters (http/QueryRoutes), checked there; {@link QueryVerticle}
 * answers them.
 */
public sealed interface QueryRequest {
  /** Each question's answer: one method per record. */
  interface Answers {
    Future<JsonObject> realtime(Realtime q);

    Future<JsonObject> asOf(AsOf q);

    Future<JsonObject> nearest(Nearest q);

    Future<JsonObject> dpu(Dpu q);

    Future<JsonObject> dpuActivity(DpuActivity q);
  }

  /** This question's answer from {@code answers}. */
  Future<JsonObject> answer(Answers answers);

  /** → {@code {space_id, count}}: the realtime count (null: unknown space). */
  record Realtime(String space) implements QueryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.realtime(this);
    }
  }

  /** → {@code {space_id, count, at}}: the count after every effect at or before {@code at}. */
  record AsOf(String space, long at) implements QueryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.asOf(this);
    }
  }

  /** → {@code {space_id, count, timestamp}}: the count at the effect nearest to {@code at}. */
  record Nearest(String space, long at) implements QueryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.nearest(this);
    }
  }

  /** → a DPU's registration, current links and realtime totals. */
  record Dpu(String dpu) implements QueryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.dpu(this);
    }
  }

  /** → the fleet's activity: silent after {@code silentMinutes}, at most {@code limit} items. */
  record DpuActivity(int silentMinutes, int limit) implements QueryRequest {
    @Override
    public Future<JsonObject> answer(Answers answers) {
      return answers.dpuActivity(this);
    }
  }
}
