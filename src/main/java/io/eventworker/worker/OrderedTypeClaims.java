package io.eventworker.worker;

import io.eventworker.queue.ClaimedEvent;
import io.eventworker.queue.OrderedClaims;
import io.eventworker.queue.PayloadBudget;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a batch claims an event type listed in ORDERED_EVENT_TYPES, shared by a worker's threads:
 * users take turns. A claim starts at the user after the last one the previous claim took, goes up
 * to the highest user id, then takes the events with no user, then wraps around to the lowest, so
 * that a user with a long backlog has one batch's worth at a time and every other user gets their
 * turn in between.
 */
final class OrderedTypeClaims {

  private final OrderedClaims claims = new OrderedClaims();
  // The user id each type's next claim starts from.
  private final Map<String, Integer> nextUser = new ConcurrentHashMap<>();

  /** Claims up to {@code limit} events of the ordered {@code type}. */
  List<ClaimedEvent> claim(Connection c, String type, int limit, PayloadBudget budget)
      throws SQLException {
    int from = nextUser.getOrDefault(type, Integer.MIN_VALUE);
    List<ClaimedEvent> events = new ArrayList<>(limit);
    events.addAll(claims.claimUsers(c, type, from, Integer.MAX_VALUE, limit, budget).events());
    if (events.size() < limit && !budget.spent()) {
      events.addAll(claims.claimWithoutUser(c, type, limit - events.size(), budget).events());
    }
    if (events.size() < limit && !budget.spent() && from > Integer.MIN_VALUE) {
      events.addAll(
          claims
              .claimUsers(c, type, Integer.MIN_VALUE, from - 1, limit - events.size(), budget)
              .events());
    }
    for (int i = events.size() - 1; i >= 0; i--) {
      Integer user = events.get(i).userId();
      if (user != null) {
        nextUser.put(type, user == Integer.MAX_VALUE ? Integer.MIN_VALUE : user + 1);
        break;
      }
    }
    return events;
  }
}
