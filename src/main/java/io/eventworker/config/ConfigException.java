package io.eventworker.config;

/** A setting with a value the worker cannot use; the message names both. */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ConfigException(String setting, String value, String problem) {
    super(setting + "=" + value + ": " + problem);
  }
}
