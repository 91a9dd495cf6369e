package io.eventworker.worker;

import io.eventworker.handler.EventHandler;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The handlers this worker runs, by event type: the built-in ones and any found on the class path.
 */
public final class Handlers {

  private final Map<String, EventHandler> byType;

  private Handlers(Map<String, EventHandler> byType) {
    this.byType = Collections.unmodifiableMap(new TreeMap<>(byType));
  }

  /**
   * Every {@link EventHandler} listed in {@code META-INF/services}; two for one type is an error.
   */
  public static Handlers discover() {
    return of(
        ServiceLoader.load(EventHandler.class).stream().map(ServiceLoader.Provider::get).toList());
  }

  public static Handlers of(Collection<? extends EventHandler> handlers) {
    Map<String, EventHandler> byType = new TreeMap<>();
    for (EventHandler handler : handlers) {
      String type = handler.eventType();
      if (type == null || type.isBlank() || type.codePointCount(0, type.length()) > 100) {
        throw new IllegalStateException(
            handler.getClass().getName()
                + " names an event type that events.event_type cannot hold: '"
                + type
                + "'");
      }
      EventHandler previous = byType.putIfAbsent(type, handler);
      if (previous != null) {
        throw new IllegalStateException(
            "two handlers for event type '"
                + type
                + "': "
                + previous.getClass().getName()
                + " and "
                + handler.getClass().getName());
      }
    }
    if (byType.isEmpty()) {
      throw new IllegalStateException("no event handlers found");
    }
    return new Handlers(byType);
  }

  /** The handler for {@code type}, or null. */
  public EventHandler forType(String type) {
    return byType.get(type);
  }

  /** The Flyway locations of the handlers that declare migrations, by event type. */
  public Map<String, List<String>> migrationLocations() {
    Map<String, List<String>> locations = new TreeMap<>();
    byType.forEach(
        (type, handler) -> {
          List<String> own = handler.migrationLocations();
          if (own != null && !own.isEmpty()) {
            locations.put(type, List.copyOf(own));
          }
        });
    return locations;
  }

  /** The event types handled, sorted. */
  public String[] types() {
    return byType.keySet().toArray(String[]::new);
  }
}
