package org.netvis.engine.spi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The known names closest to one a user wrote, for errors about an unknown technique, parameter,
 * key, model or layer: "did you mean" where a name is one slip away, the nearest few where the
 * names are long (tensor names). Closeness is the optimal-string-alignment distance (insert, delete,
 * substitute, or swap two neighbouring characters, each one edit), with case and '-' against '_'
 * not counted, since those are the slips experiment files show most.
 */
public final class NearestNames {
  private NearestNames() {}

  /**
   * " (did you mean 'x'?)", or " (did you mean 'x' or 'y'?)" where several are equally close, when
   * a known name is within a third of {@code name}'s length in edits (at least 1, at most 3);
   * otherwise "". Meant to follow the unknown name in a message.
   */
  public static String didYouMean(String name, Collection<String> known) {
    int best = Integer.MAX_VALUE;
    List<String> closest = new ArrayList<>();
    for (String k : known) {
      int d = distance(name, k);
      if (d < best) {
        best = d;
        closest.clear();
      }
      if (d == best && !closest.contains(k)) {
        closest.add(k);
      }
    }
    if (closest.isEmpty() || best > Math.max(1, Math.min(3, name.length() / 3))) {
      return "";
    }
    closest.sort(Comparator.naturalOrder());
    List<String> quoted = closest.stream().limit(3).map(k -> "'" + k + "'").toList();
    return " (did you mean " + String.join(" or ", quoted) + "?)";
  }

  /** The {@code count} known names closest to {@code name}, nearest first, equally near ones in alphabetical order. */
  public static List<String> nearest(String name, Collection<String> known, int count) {
    return known.stream().distinct()
        .sorted(Comparator.comparingInt((String k) -> distance(name, k)).thenComparing(Comparator.naturalOrder()))
        .limit(count).toList();
  }

  /**
   * Edits from {@code a} to {@code b}: insertions, deletions, substitutions and swaps of two
   * neighbouring characters, each substring edited once (optimal string alignment), compared
   * without case and with '-' and '_' the same character.
   */
  public static int distance(String a, String b) {
    String s = normalized(a);
    String t = normalized(b);
    int[][] d = new int[s.length() + 1][t.length() + 1];
    for (int i = 0; i <= s.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= t.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= s.length(); i++) {
      for (int j = 1; j <= t.length(); j++) {
        int cost = s.charAt(i - 1) == t.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
        if (i > 1 && j > 1 && s.charAt(i - 1) == t.charAt(j - 2) && s.charAt(i - 2) == t.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[s.length()][t.length()];
  }

  private static String normalized(String name) {
    return name.toLowerCase(Locale.ROOT).replace('-', '_');
  }
}
