package io.eventworker.handler;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * How a JSON object becomes one record type (see {@link PayloadFields#bind}): the record's
 * components, read once per type, each checked and converted with the messages of {@link
 * PayloadFields}.
 */
final class PayloadBinding<T extends Record> {

  private static final ClassValue<PayloadBinding<?>> BINDINGS =
      new ClassValue<>() {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        protected PayloadBinding<?> computeValue(Class<?> type) {
          return new PayloadBinding(type);
        }
      };

  /** One record component: its field's name, whether it may be absent, and its type. */
  private record Component(String name, boolean optional, Type type, int maxLength) {}

  private final Constructor<T> constructor;
  private final Component[] components;

  private PayloadBinding(Class<T> type) {
    RecordComponent[] declared = type.getRecordComponents();
    Class<?>[] parameters = new Class<?>[declared.length];
    components = new Component[declared.length];
    for (int i = 0; i < declared.length; i++) {
      RecordComponent c = declared[i];
      parameters[i] = c.getType();
      boolean optional = c.getType() == Optional.class;
      Type valueType = optional ? typeArgument(c.getGenericType()) : c.getGenericType();
      PayloadFields.MaxLength max = c.getAnnotation(PayloadFields.MaxLength.class);
      components[i] =
          new Component(
              c.getName(), optional, valueType, max == null ? Integer.MAX_VALUE : max.value());
    }
    try {
      constructor = type.getDeclaredConstructor(parameters);
      // A record declared private in a handler's class is still the handler's to bind.
      constructor.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type + " has no canonical constructor", e);
    }
  }

  @SuppressWarnings("unchecked")
  static <T extends Record> PayloadBinding<T> of(Class<T> type) {
    if (!type.isRecord()) {
      throw new IllegalArgumentException(type + " is not a record");
    }
    return (PayloadBinding<T>) BINDINGS.get(type);
  }

  /** Binds {@code data}, a JSON object, naming its fields after {@code prefix}. */
  T bind(JsonNode data, String prefix) throws InvalidEventException {
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      Component c = components[i];
      String field = prefix + c.name();
      JsonNode node = data.get(c.name());
      if (node == null || node.isNull()) {
        if (!c.optional()) {
          throw PayloadFields.required(field);
        }
        values[i] = Optional.empty();
      } else {
        Object value = value(node, field, c.type(), c.maxLength());
        values[i] = c.optional() ? Optional.of(value) : value;
      }
    }
    try {
      return constructor.newInstance(values);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IllegalArgumentException invalid) {
        throw new InvalidEventException(
            prefix.isEmpty()
                ? invalid.getMessage()
                : "field '"
                    + prefix.substring(0, prefix.length() - 1)
                    + "': "
                    + invalid.getMessage());
      }
      throw new IllegalStateException(
          "cannot construct " + constructor.getDeclaringClass(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + constructor.getDeclaringClass(), e);
    }
  }

  /** {@code node}, not null, as a value of {@code type}. */
  private static Object value(JsonNode node, String field, Type type, int maxLength)
      throws InvalidEventException {
    Class<?> raw = rawClass(type);
    if (raw == String.class) {
      return PayloadFields.string(node, field, maxLength);
    }
    if (raw == boolean.class || raw == Boolean.class) {
      if (!node.isBoolean()) {
        throw PayloadFields.mustBe(field, "a boolean", node);
      }
      return node.booleanValue();
    }
    if (raw.isPrimitive() || Number.class.isAssignableFrom(raw)) {
      if (!node.isNumber()) {
        throw PayloadFields.mustBe(field, "a number", node);
      }
      return number(node.decimalValue(), field, raw);
    }
    if (JsonNode.class.isAssignableFrom(raw)) {
      if (raw != JsonNode.class && !raw.isInstance(node)) {
        throw PayloadFields.mustBe(field, "an object", node);
      }
      return node;
    }
    if (raw.isRecord() || Map.class.isAssignableFrom(raw)) {
      if (!node.isObject()) {
        throw PayloadFields.mustBe(field, "an object", node);
      }
      if (raw.isRecord()) {
        return of(raw.asSubclass(Record.class)).bind(node, field + ".");
      }
    } else if ((Collection.class.isAssignableFrom(raw) || raw.isArray()) && !node.isArray()) {
      throw PayloadFields.mustBe(field, "an array", node);
    }
    return converted(node, field, type);
  }

  /**
   * {@code value} as the number type {@code raw}; an integer type takes only whole numbers it can
   * hold.
   */
  private static Object number(BigDecimal value, String field, Class<?> raw)
      throws InvalidEventException {
    if (raw == BigDecimal.class || raw == Number.class) {
      return value;
    }
    if (raw == double.class || raw == Double.class) {
      return value.doubleValue();
    }
    if (raw == float.class || raw == Float.class) {
      return value.floatValue();
    }
    try {
      BigInteger whole = value.toBigIntegerExact();
      if (raw == BigInteger.class) {
        return whole;
      }
      if (raw == long.class || raw == Long.class) {
        return whole.longValueExact();
      }
      if (raw == int.class || raw == Integer.class) {
        return whole.intValueExact();
      }
      if (raw == short.class || raw == Short.class) {
        return whole.shortValueExact();
      }
    } catch (ArithmeticException e) {
      throw new InvalidEventException(
          "field '"
              + field
              + "' must be a whole number that fits in "
              + raw.getSimpleName()
              + ", got "
              + value);
    }
    throw new IllegalStateException("cannot bind a number to " + raw);
  }

  /** Anything else (lists, maps, enums, java.time values): as Jackson reads it. */
  private static Object converted(JsonNode node, String field, Type type)
      throws InvalidEventException {
    JavaType javaType = Json.MAPPER.getTypeFactory().constructType(type);
    try {
      return Json.MAPPER.readerFor(javaType).readValue(node);
    } catch (JacksonException e) {
      throw new InvalidEventException(
          "field '"
              + field
              + "' cannot be read as "
              + javaType.getRawClass().getSimpleName()
              + ": "
              + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Type typeArgument(Type optional) {
    if (optional instanceof ParameterizedType p) {
      return p.getActualTypeArguments()[0];
    }
    return Object.class;
  }

  private static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }
}
