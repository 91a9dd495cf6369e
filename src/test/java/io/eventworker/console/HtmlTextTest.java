package io.eventworker.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class HtmlTextTest {

  static final List<String> MARKUP =
      List.of(
          "<script>alert(1)</script>",
          "\"><img src=x onerror=alert(1)>",
          "'><svg onload=alert(1)>",
          "</td></tr></table><script>document.title='pwned'</script>",
          "<!-- <b>comment</b> -->",
          "<![CDATA[<script>]]>",
          "&lt;script&gt; already escaped &amp; &#60;",
          "<style>body{display:none}</style>",
          "<meta http-equiv=\"refresh\" content=\"0;url=http://evil.invalid\">",
          "javascript:alert(1)",
          "<textarea><plaintext><xmp>",
          "</body></html><a href=x>after the end</a>",
          "tab\tnewline\ncarriage\rreturn",
          "control \u0001\u001f\u007f\u0085 characters",
          "lone surrogates \ud800 and \udfff, a pair 😀",
          "bidi \u202e override \u202c and zwj 👨‍👩‍👧");

  @Test
  void theCharactersHtmlGivesAMeaningBecomeReferences() {
    assertEquals("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;", escaped());
    assertEquals("", HtmlText.escape(null));
    assertEquals("plain text, émoji 😀", HtmlText.escape("plain text, émoji 😀"));
    assertEquals("a\\u0001b\\u000dc\\ud800d", HtmlText.escape("a\u0001b\rc\ud800d"));
    assertEquals("a\tb\nc", HtmlText.escape("a\tb\nc"));
  }

  private static String escaped() {
    return HtmlText.escape("<a href=\"x\" title='y'>&</a>");
  }

  @Test
  void escapedTextParsesBackToItselfBetweenTagsAndInAttributes() {
    for (String text : MARKUP) {
      Document doc =
          Jsoup.parse(
              "<!DOCTYPE html><html><body><p id=\"t\" title=\""
                  + HtmlText.escape(text)
                  + "\">"
                  + HtmlText.escape(text)
                  + "</p><p id=\"after\">end</p></body></html>");
      Element p = doc.getElementById("t");
      assertEquals(HtmlText.shown(text), p.wholeText(), text);
      assertEquals(HtmlText.shown(text), p.attr("title"), text);
      assertEquals(2, p.attributesSize(), "id and title only: " + text);
      assertEquals(0, p.childrenSize(), "no element from the text: " + text);
      assertEquals(List.of("html", "head", "body", "p", "p"), tags(doc), text);
      assertFalse(doc.getElementById("after") == null, text);
    }
  }

  @Test
  void shownLeavesTextAloneButForWhatHtmlCannotHold() {
    assertEquals("<b>&amp;</b>", HtmlText.shown("<b>&amp;</b>"));
    assertEquals("x\\u0000y\\u009fz", HtmlText.shown("x\u0000y\u009fz"));
  }

  private static List<String> tags(Document doc) {
    return doc.getAllElements().stream().skip(1).map(Element::tagName).toList();
  }
}
