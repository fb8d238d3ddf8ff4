package dev.evomerge.merge;

/**
 * A parameter a merge method declares, as mergekit's {@code ConfigParameterDef}: its YAML name, whether a
 * recipe must give it, and the value when it does not ({@code null}: none).
 */
public record ParameterDef(String name, boolean required, Object defaultValue) {
    public static ParameterDef required(String name) {
        return new ParameterDef(name, true, null);
    }

    public static ParameterDef optional(String name, Object defaultValue) {
        return new ParameterDef(name, false, defaultValue);
    }
}
