package dev.stratafs.core.image;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.nio.charset.StandardCharsets;

/** The few JSON helpers the image code needs; malformed documents become INVALID errors. */
final class Json {
    private static final Gson COMPACT = new GsonBuilder().disableHtmlEscaping().create();
    private static final Gson PRETTY = new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();

    static JsonObject object(byte[] data, String what) throws FsException {
        try {
            JsonElement e = JsonParser.parseString(new String(data, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new FsException(ErrorKind.INVALID, what + " is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new FsException(ErrorKind.INVALID, what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    static JsonArray array(byte[] data, String what) throws FsException {
        try {
            JsonElement e = JsonParser.parseString(new String(data, StandardCharsets.UTF_8));
            if (!e.isJsonArray()) {
                throw new FsException(ErrorKind.INVALID, what + " is not a JSON array");
            }
            return e.getAsJsonArray();
        } catch (JsonParseException | IllegalStateException e) {
            throw new FsException(ErrorKind.INVALID, what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    static String string(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() ? null : e.getAsString();
    }

    static String requireString(JsonObject o, String key, String what) throws FsException {
        String s = string(o, key);
        if (s == null) {
            throw new FsException(ErrorKind.INVALID, what + " lacks \"" + key + "\"");
        }
        return s;
    }

    static JsonObject obj(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
    }

    static JsonArray arr(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e != null && e.isJsonArray() ? e.getAsJsonArray() : new JsonArray();
    }

    static byte[] bytes(JsonElement e) {
        return COMPACT.toJson(e).getBytes(StandardCharsets.UTF_8);
    }

    static String pretty(JsonElement e) {
        return PRETTY.toJson(e);
    }

    static String compact(JsonElement e) {
        return COMPACT.toJson(e);
    }

    private Json() {}
}
