package dev.stratafs.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits mount DATA the way mount programs receive it: words separated by commas, where
 * {@code \,} is a literal comma and a double-quoted stretch may hold commas (podman passes
 * {@code context="system_u:object_r:container_file_t:s0:c1,c2"}). Escapes other than
 * {@code \,} are kept for the value-level split ({@link #splitColons}), so {@code \:} still means
 * a literal colon inside {@code lowerdir=}.
 */
final class OptionWords {
    private OptionWords() {}

    /** DATA to words; empty words (",,") are dropped; quotes are removed. */
    static List<String> splitCommas(String data) throws CliException {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < data.length(); i++) {
            char c = data.charAt(i);
            if (c == '\\' && i + 1 < data.length()) {
                char next = data.charAt(++i);
                if (next != ',') {
                    cur.append('\\'); // kept for the value-level unescape
                }
                cur.append(next);
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                addWord(words, cur);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new CliException("unterminated quote in options '" + data + "'");
        }
        addWord(words, cur);
        return words;
    }

    /** A lowerdir value to layer paths: split on ':' not preceded by a backslash, then unescaped. */
    static List<String> splitColons(String value) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                cur.append(c).append(value.charAt(++i));
            } else if (c == ':') {
                parts.add(unescape(cur.toString()));
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(unescape(cur.toString()));
        return parts;
    }

    /** Removes the backslash of {@code \:}, {@code \\} and {@code \,}; other backslashes are literal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char next = s.charAt(i + 1);
                if (next == ':' || next == '\\' || next == ',') {
                    out.append(next);
                    i++;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static void addWord(List<String> words, StringBuilder cur) {
        if (cur.length() > 0) {
            words.add(cur.toString());
        }
        cur.setLength(0);
    }
}
