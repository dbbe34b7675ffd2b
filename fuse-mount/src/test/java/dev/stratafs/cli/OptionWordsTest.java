package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OptionWordsTest {

    static Stream<Arguments> commaSplits() {
        return Stream.of(
                Arguments.of("a,b,c", List.of("a", "b", "c")),
                Arguments.of("a,,b,", List.of("a", "b")),
                Arguments.of("", List.of()),
                Arguments.of("a\\,b,c", List.of("a,b", "c")),
                // \: survives the comma split so lowerdir can still honour it
                Arguments.of("lowerdir=/x\\:y:/z,ro", List.of("lowerdir=/x\\:y:/z", "ro")),
                // an escaped backslash does not escape the comma after it
                Arguments.of("a\\\\,b", List.of("a\\\\", "b")),
                Arguments.of("context=\"system_u:object_r:container_file_t:s0:c1,c2\",nodev",
                        List.of("context=system_u:object_r:container_file_t:s0:c1,c2", "nodev")),
                Arguments.of("x=\"\"", List.of("x=")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("commaSplits")
    void commaSplitHonoursEscapesAndQuotes(String data, List<String> words) throws CliException {
        assertEquals(words, OptionWords.splitCommas(data));
    }

    @org.junit.jupiter.api.Test
    void unterminatedQuoteIsAnError() {
        CliException e = assertThrows(CliException.class, () -> OptionWords.splitCommas("context=\"a,b"));
        assertEquals("unterminated quote in options 'context=\"a,b'", e.getMessage());
    }

    static Stream<Arguments> colonSplits() {
        return Stream.of(
                Arguments.of("/a:/b:/c", List.of("/a", "/b", "/c")),
                Arguments.of("/a", List.of("/a")),
                Arguments.of("/a\\:b:/c", List.of("/a:b", "/c")),
                Arguments.of("/a\\\\:/c", List.of("/a\\", "/c")),
                Arguments.of("/a::/c", List.of("/a", "", "/c")),
                Arguments.of("/we\\ird", List.of("/we\\ird")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("colonSplits")
    void colonSplitHonoursEscapes(String value, List<String> parts) {
        assertEquals(parts, OptionWords.splitColons(value));
    }
}
