package dev.stratafs.cli.image;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** GNU-style options (`--name VALUE`, `--name=VALUE`, switches) and positional words. */
final class Args {
    final List<String> positional = new ArrayList<>();
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> switches = new HashSet<>();

    /** @param valued options that take a value; every other `-x`/`--xx` word is a switch */
    static Args parse(List<String> words, Set<String> valued, Set<String> known) throws UsageException {
        Args a = new Args();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("--")) {
                a.positional.addAll(words.subList(i + 1, words.size()));
                break;
            }
            if (w.startsWith("-") && w.length() > 1) {
                String name = w;
                String value = null;
                int eq = w.indexOf('=');
                if (eq > 0) {
                    name = w.substring(0, eq);
                    value = w.substring(eq + 1);
                }
                if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= words.size()) {
                            throw new UsageException(name + " needs a value");
                        }
                        value = words.get(++i);
                    }
                    a.values.put(name, value);
                } else if (known.contains(name) && value == null) {
                    a.switches.add(name);
                } else {
                    throw new UsageException("unknown option " + w);
                }
            } else {
                a.positional.add(w);
            }
        }
        return a;
    }

    String get(String name) {
        return values.get(name);
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    boolean has(String name) {
        return switches.contains(name);
    }

    String require(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(name + " is required");
        }
        return v;
    }

    void expectPositional(int min, int max, String usage) throws UsageException {
        if (positional.size() < min || positional.size() > max) {
            throw new UsageException("usage: stratafs image " + usage);
        }
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
