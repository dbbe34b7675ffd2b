package dev.stratafs.core.diff;

import dev.stratafs.core.error.FsException;

/**
 * How one operation ended on one side: "OK" or the error kind's name, plus what a reading
 * operation saw. Two sides agree when both parts are equal.
 */
record Outcome(String result, String observed) {
    static final String OK = "OK";

    static Outcome ok(String observed) {
        return new Outcome(OK, observed);
    }

    static Outcome of(FsException e) {
        if (e.getMessage() != null && e.getMessage().startsWith(CoreFs.CRASH)) {
            return new Outcome("CRASH(" + e.getCause() + ")", null);
        }
        return new Outcome(e.kind().name(), null);
    }

    boolean isOk() {
        return result.equals(OK);
    }

    @Override
    public String toString() {
        return observed == null ? result : result + " " + observed;
    }
}
