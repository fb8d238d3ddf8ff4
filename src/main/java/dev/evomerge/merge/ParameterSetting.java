package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.EvomergeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A merge parameter's value as mergekit writes it: a scalar, a gradient (a list of numbers interpolated
 * linearly over the layers of a slice, {@code t} = layer / (layers − 1)), or a list of
 * {@code {filter, value}} entries where the first whose filter is a substring of the tensor name (or is
 * absent or {@code *}) gives the value.
 */
public sealed interface ParameterSetting {
    /** The value for a tensor at position {@code t} ∈ [0, 1] of its slice; empty when no filter matches. */
    Optional<Object> evaluate(String tensorName, double t);

    JsonNode toJson();

    /** A number, boolean or string. */
    record Scalar(Object value) implements ParameterSetting {
        public Scalar {
            if (!(value instanceof Double || value instanceof Boolean || value instanceof String)) {
                throw new IllegalArgumentException("scalar must be a double, boolean or string: " + value);
            }
        }

        @Override
        public Optional<Object> evaluate(String tensorName, double t) {
            return Optional.of(value);
        }

        @Override
        public JsonNode toJson() {
            return switch (value) {
                case Double d -> JsonNodeFactory.instance.numberNode(d);
                case Boolean b -> JsonNodeFactory.instance.booleanNode(b);
                default -> JsonNodeFactory.instance.textNode((String) value);
            };
        }
    }

    /** Values at evenly spaced points of a slice, interpolated linearly in between. */
    record Gradient(List<Double> points) implements ParameterSetting {
        public Gradient {
            if (points.isEmpty()) {
                throw new IllegalArgumentException("a gradient needs at least one point");
            }
            points = List.copyOf(points);
        }

        @Override
        public Optional<Object> evaluate(String tensorName, double t) {
            double scaled = t * (points.size() - 1);
            int i0 = (int) scaled;
            int i1 = Math.min(points.size() - 1, i0 + 1);
            double frac = scaled - i0;
            return Optional.of((1 - frac) * points.get(i0) + frac * points.get(i1));
        }

        @Override
        public JsonNode toJson() {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            points.forEach(array::add);
            return array;
        }
    }

    /** The first entry whose filter matches the tensor name decides. */
    record Conditional(List<Entry> entries) implements ParameterSetting {
        public record Entry(String filter, ParameterSetting value) {
            boolean matches(String tensorName) {
                return filter == null || filter.equals("*") || (tensorName != null && tensorName.contains(filter));
            }
        }

        public Conditional {
            entries = List.copyOf(entries);
        }

        @Override
        public Optional<Object> evaluate(String tensorName, double t) {
            for (Entry e : entries) {
                if (e.matches(tensorName)) {
                    return e.value.evaluate(tensorName, t);
                }
            }
            return Optional.empty();
        }

        @Override
        public JsonNode toJson() {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            for (Entry e : entries) {
                var node = array.addObject();
                if (e.filter != null) {
                    node.put("filter", e.filter);
                }
                node.set("value", e.value.toJson());
            }
            return array;
        }
    }

    static ParameterSetting of(double value) {
        return new Scalar(value);
    }

    /** Parses mergekit's YAML shapes; {@code where} names the key for the error message. */
    static ParameterSetting parse(JsonNode node, String where) {
        if (node.isNumber()) {
            return new Scalar(node.asDouble());
        }
        if (node.isBoolean()) {
            return new Scalar(node.asBoolean());
        }
        if (node.isTextual()) {
            return new Scalar(node.asText());
        }
        if (node.isObject()) {
            return new Conditional(List.of(entry(node, where)));
        }
        if (node.isArray() && !node.isEmpty()) {
            boolean numbers = true;
            for (JsonNode e : node) {
                numbers &= e.isNumber();
            }
            if (numbers) {
                List<Double> points = new ArrayList<>();
                node.forEach(e -> points.add(e.asDouble()));
                return new Gradient(points);
            }
            List<Conditional.Entry> entries = new ArrayList<>();
            for (JsonNode e : node) {
                if (!e.isObject()) {
                    throw new EvomergeException(where + ": a list must hold only numbers (a gradient) or only {filter, value} entries");
                }
                entries.add(entry(e, where));
            }
            return new Conditional(entries);
        }
        throw new EvomergeException(where + ": expected a number, a gradient list or {filter, value} entries, got " + node);
    }

    private static Conditional.Entry entry(JsonNode node, String where) {
        if (!node.has("value")) {
            throw new EvomergeException(where + ": a conditional entry needs a 'value' (and optionally a 'filter')");
        }
        node.fieldNames().forEachRemaining(k -> {
            if (!k.equals("filter") && !k.equals("value")) {
                throw new EvomergeException(where + ": unknown key '" + k + "' in a conditional entry (use filter and value)");
            }
        });
        String filter = node.has("filter") && !node.get("filter").isNull() ? node.get("filter").asText() : null;
        return new Conditional.Entry(filter, parse(node.get("value"), where + ".value"));
    }
}
