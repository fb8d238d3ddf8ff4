package dev.evomerge.tensor;

import dev.evomerge.EvomergeException;

/**
 * The element types of safetensors files. Floating types are computed on (as f32); the others are
 * carried through untouched, byte for byte.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** F16, BF16, F32, F64: the types merges compute on. */
    public boolean isFloat() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }

    /** The name in a safetensors header. */
    public String safetensorsName() {
        return name();
    }

    /** The type a safetensors header names; an {@link EvomergeException} for any other. */
    public static DType fromSafetensors(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        throw new EvomergeException("unknown dtype '" + name + "'");
    }

    /** The type a recipe or config names ({@code bfloat16}, {@code float16}, {@code float32}, or a header name). */
    public static DType fromRecipe(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "bfloat16", "bf16" -> BF16;
            case "float16", "half", "f16", "fp16" -> F16;
            case "float32", "float", "f32", "fp32" -> F32;
            case "float64", "double", "f64" -> F64;
            default -> throw new EvomergeException("unknown dtype '" + name + "': use bfloat16, float16 or float32");
        };
    }
}
