package io.eventworker.console;

/**
 * Text made safe to place in HTML, between tags or inside a quoted attribute: the five characters
 * that HTML gives a meaning are written as character references, and the characters HTML does not
 * allow as text are shown as {@code \\uXXXX}. Nothing in the result can open or close an element or
 * an attribute.
 */
public final class HtmlText {

  private HtmlText() {}

  /** {@code text} escaped; null becomes the empty string. */
  public static String escape(String text) {
    return text == null ? "" : rewrite(text, true);
  }

  /**
   * What a browser shows for {@code escape(text)}: the text itself, with the characters HTML does
   * not allow as text written as {@code \\uXXXX}.
   */
  public static String shown(String text) {
    return rewrite(text, false);
  }

  private static String rewrite(String text, boolean escape) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (Character.isHighSurrogate(ch)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(ch).append(text.charAt(++i));
      } else if (notText(ch)) {
        out.append(String.format("\\u%04x", (int) ch));
      } else if (escape) {
        switch (ch) {
          case '&' -> out.append("&amp;");
          case '<' -> out.append("&lt;");
          case '>' -> out.append("&gt;");
          case '"' -> out.append("&quot;");
          case '\'' -> out.append("&#39;");
          default -> out.append(ch);
        }
      } else {
        out.append(ch);
      }
    }
    return out.toString();
  }

  // Tab and line feed are text. The other C0 controls, DEL and the C1 controls are not allowed in
  // an HTML document, a carriage return would come out as a line feed, and a lone surrogate cannot
  // be written in UTF-8 at all.
  private static boolean notText(char ch) {
    return (ch < 0x20 && ch != '\t' && ch != '\n')
        || (ch >= 0x7f && ch <= 0x9f)
        || Character.isSurrogate(ch);
  }
}
