package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;

/**
 * Where a cached forward pass keeps the keys and values of each layer-program step (one entry per step, not
 * per layer: a program may run a layer twice). Generation uses {@link KeyValueCache}, written in place; {@code
 * bench generate} measures it against the concatenating cache it replaced, through this same seam.
 */
interface KeyValues {
    /**
     * Adds the keys and values of new tokens for program step {@code step}, after {@code past} tokens already
     * held, and returns the keys and values of all {@code past + tokens} tokens.
     *
     * @param k the new keys [1, key/value heads, tokens, head dim]
     * @param v the new values, shaped as {@code k}
     * @return {keys, values} [1, key/value heads, past + tokens, head dim], made in {@code k}'s manager
     */
    NDArray[] extend(int step, int past, NDArray k, NDArray v);
}
