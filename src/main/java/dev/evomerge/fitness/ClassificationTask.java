package dev.evomerge.fitness;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.merge.Candidate;

/**
 * {@code classification}: inputs to a label; a datapoint scores 1 when the candidate's most likely class
 * is its label, else 0 (so the mean is the accuracy). The inputs and labels stay on the device for the
 * whole search; a candidate is scored with one batched forward pass.
 */
public final class ClassificationTask implements Task {
    private final String name;
    private final LabelledData data;
    private final NDManager manager;
    private final NDArray inputs;
    private final NDArray labels;

    public ClassificationTask(String name, LabelledData data, Device device) {
        this.name = name;
        this.data = data;
        this.manager = NDManager.newBaseManager(device);
        this.inputs = manager.create(data.inputs(), new Shape(data.size(), data.features()));
        this.labels = manager.create(data.labels());
        manager.cap();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return data.size();
    }

    public LabelledData data() {
        return data;
    }

    @Override
    public double[] score(Candidate candidate, NDManager scope, int[] datapoints) {
        // views in the candidate's scope: the forward pass's arrays are made there, never on the task's manager
        NDArray x;
        NDArray y;
        if (isWhole(datapoints)) {
            x = inputs.get(scope, new NDIndex(":"));
            y = labels.get(scope, new NDIndex(":"));
        } else {
            LabelledData some = data.rows(datapoints);
            x = scope.create(some.inputs(), new Shape(some.size(), some.features()));
            y = scope.create(some.labels());
        }
        return MlpClassifier.fromConfig(candidate.config()).correct(candidate.tensors(), x, y);
    }

    private boolean isWhole(int[] datapoints) {
        if (datapoints.length != data.size()) {
            return false;
        }
        for (int i = 0; i < datapoints.length; i++) {
            if (datapoints[i] != i) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean higherIsBetter() {
        return true;
    }

    @Override
    public int[] labels() {
        return data.labels();
    }

    @Override
    public void close() {
        manager.close();
    }
}
