package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strategy's hyperparameters as the experiment gives them, read with defaults; every key must be one
 * the strategy declares, so a typo is an error with a suggestion rather than a silently ignored setting.
 */
public final class Hyperparameters {
    private final String strategy;
    private final JsonNode given;
    private final Map<String, Object> used = new LinkedHashMap<>();

    private Hyperparameters(String strategy, JsonNode given) {
        this.strategy = strategy;
        this.given = given == null || given.isNull() || given.isMissingNode() ? JsonNodeFactory.instance.objectNode() : given;
        if (!this.given.isObject()) {
            throw new EvomergeException("strategy." + strategy + ": hyperparameters must be a mapping");
        }
    }

    public static Hyperparameters of(String strategy, JsonNode given) {
        return new Hyperparameters(strategy, given);
    }

    public int integer(String key, int defaultValue, int min) {
        int value = given.has(key) ? checkedInt(key) : defaultValue;
        if (value < min) {
            throw new EvomergeException("strategy." + key + " = " + value + " must be at least " + min);
        }
        used.put(key, value);
        return value;
    }

    private int checkedInt(String key) {
        JsonNode v = given.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new EvomergeException("strategy." + key + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    public double number(String key, double defaultValue, double min, double max) {
        double value = defaultValue;
        if (given.has(key)) {
            if (!given.get(key).isNumber()) {
                throw new EvomergeException("strategy." + key + " must be a number, got " + given.get(key));
            }
            value = given.get(key).asDouble();
        }
        if (!(value >= min && value <= max)) {
            throw new EvomergeException("strategy." + key + " = " + value + " must be within [" + min + ", " + max + "]");
        }
        used.put(key, value);
        return value;
    }

    public boolean flag(String key, boolean defaultValue) {
        boolean value = defaultValue;
        if (given.has(key)) {
            if (!given.get(key).isBoolean()) {
                throw new EvomergeException("strategy." + key + " must be true or false, got " + given.get(key));
            }
            value = given.get(key).asBoolean();
        }
        used.put(key, value);
        return value;
    }

    /** Call after reading every key: rejects any the strategy did not read. */
    public void rejectUnknown() {
        given.fieldNames().forEachRemaining(k -> {
            if (!used.containsKey(k)) {
                throw new EvomergeException("strategy." + k + ": unknown hyperparameter of " + strategy + DidYouMean.suggest(k, used.keySet()));
            }
        });
    }
}
