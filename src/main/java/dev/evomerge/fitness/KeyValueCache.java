package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values of one generation, one array per program step for the whole generation's length,
 * written in place: a new token writes its slice and reads a view of the slices so far, so native memory does
 * not grow with the tokens (concatenating made a new, longer array per step and layer, every one kept until the
 * generation's scope closed).
 *
 * @implNote not thread-safe. The arrays live in a sub-manager of the scope it was opened in; {@link #close()}
 * frees them.
 */
final class KeyValueCache implements KeyValues, AutoCloseable {
    private final NDManager manager;
    private final int capacity;
    private final NDArray[] keys;
    private final NDArray[] values;

    private KeyValueCache(NDManager manager, int steps, int capacity) {
        this.manager = manager;
        this.capacity = capacity;
        this.keys = new NDArray[steps];
        this.values = new NDArray[steps];
    }

    /** A cache for {@code steps} program steps and at most {@code capacity} tokens, in a sub-manager of {@code scope}. */
    static KeyValueCache open(int steps, int capacity, NDManager scope) {
        if (steps < 1 || capacity < 1) {
            throw new IllegalArgumentException("a cache needs at least one step and one token: " + steps + ", " + capacity);
        }
        return new KeyValueCache(scope.newSubManager(), steps, capacity);
    }

    @Override
    public NDArray[] extend(int step, int past, NDArray k, NDArray v) {
        long tokens = k.getShape().get(2);
        if (past + tokens > capacity) {
            throw new IllegalStateException("the cache holds " + capacity + " tokens, not " + (past + tokens));
        }
        if (keys[step] == null) {
            // allocated at the first write, in the dtype the forward pass computes in, and left unset: only
            // positions already written are ever read
            Shape full = new Shape(1, k.getShape().get(1), capacity, k.getShape().get(3));
            keys[step] = manager.create(full, k.getDataType());
            values[step] = manager.create(full, v.getDataType());
        }
        // indices built, not parsed from text: this runs twice per layer and token
        NDIndex fresh = new NDIndex().addAllDim(2).addSliceDim(past, past + tokens);
        keys[step].set(fresh, k);
        values[step].set(fresh, v);
        // views of the cache, owned by the caller's (per-token) manager, so reading leaves nothing behind here
        NDIndex held = new NDIndex().addAllDim(2).addSliceDim(0, past + tokens);
        return new NDArray[] {keys[step].get(k.getManager(), held), values[step].get(k.getManager(), held)};
    }

    @Override
    public void close() {
        manager.close();
    }
}
