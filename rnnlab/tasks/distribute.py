"""Training under `tf.distribute`: the strategy `train.<task>.strategy` names, and the loop that
replaces `model.fit`, whose Keras 3 version fails under MultiWorkerMirroredStrategy ("Attempt to
convert a value (PerReplica...)", keras-team/keras#20585).

`distributed_fit` runs a `tf.function` step with `strategy.run` over
`strategy.experimental_distribute_dataset`: every worker reads the same batches and trains on its
share of each; the loss is averaged over the whole (global) batch, so N workers train like one
process on the same batches. It drives the same callbacks as `fit` (EarlyStopping, dvclive) with
the same epoch logs: `loss`, `accuracy`, `val_loss`, `val_accuracy`.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import TYPE_CHECKING, Any

from rnnlab.core.errors import UsageError

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")
TF_CONFIG_FORM = ('{"cluster": {"worker": ["host:port", ...]}, '
                  '"task": {"type": "worker", "index": i}}')


WORKER_TIMEOUT_ENV, WORKER_TIMEOUT_S = "RNNLAB_WORKER_TIMEOUT", 300.0  # start-up's bound
PROBE_STEP_S = 0.2  # between two rounds of connection attempts while waiting for the workers


def check_tf_config(raw: str | None) -> dict:
    """TF_CONFIG (the variable's text) as a mapping, checked completely: a JSON object whose
    `cluster` maps each job to a non-empty list of "host:port" (a port 1-65535) and whose `task`
    names a job of it and an index in that job's list; else a one-line UsageError naming the
    field."""
    if not raw:
        raise UsageError(f"strategy multi_worker needs TF_CONFIG set to {TF_CONFIG_FORM}")

    def bad(field: str, expected: str, got: object) -> UsageError:
        text = repr(got) if len(repr(got)) <= 80 else repr(got)[:77] + "..."
        return UsageError(f"TF_CONFIG is not valid: {field}: expected {expected}, got {text}")

    try:
        config = json.loads(raw)
    except ValueError as err:
        raise UsageError(f"TF_CONFIG is not valid: not JSON ({str(err).splitlines()[0]}); "
                         f"expected {TF_CONFIG_FORM}") from None
    if not isinstance(config, dict):
        raise bad("TF_CONFIG", f"a JSON object {TF_CONFIG_FORM}", config)
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        raise bad("cluster", 'a mapping of job name to a list of "host:port"', cluster)
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise bad(f"cluster.{job}", 'a non-empty list of "host:port"', addresses)
        for i, address in enumerate(addresses):
            if _host_port(address) is None:
                raise bad(f"cluster.{job}[{i}]", '"host:port" with a port 1-65535', address)
    task = config.get("task")
    if not isinstance(task, dict):
        raise bad("task", '{"type": job, "index": i}', task)
    kind, index = task.get("type"), task.get("index")
    if not isinstance(kind, str) or kind not in cluster:
        raise bad("task.type", f"a job of the cluster ({', '.join(map(str, cluster))})", kind)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(
            cluster[kind]):
        raise bad("task.index", f"an index of cluster.{kind}, 0..{len(cluster[kind]) - 1}",
                  index)
    return config


def _host_port(address: object) -> tuple[str, int] | None:
    """("host", port) of "host:port" ("[::1]:port" for IPv6), or None if it is not one."""
    if not isinstance(address, str):
        return None
    host, colon, port = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or any(c.isspace() for c in address) or not (
            port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        return None
    return host, int(port)


def worker_timeout() -> float:
    """Seconds multi-worker start-up waits for the other workers: RNNLAB_WORKER_TIMEOUT, 300."""
    raw = os.environ.get(WORKER_TIMEOUT_ENV, "").strip()
    if not raw:
        return WORKER_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{WORKER_TIMEOUT_ENV}: expected a number of seconds > 0, got {raw!r}")
    return value


def wait_for_workers(config: dict, timeout: float | None = None,
                     step: float = PROBE_STEP_S) -> None:
    """Return once every other task of TF_CONFIG's cluster accepts a TCP connection on its
    "host:port"; a one-line UsageError naming the first one that did not within `timeout` s.

    Why: MultiWorkerMirroredStrategy's start-up waits for its peers inside TensorFlow's C++
    runtime, with no bound we set and deaf to SIGINT (Python runs signal handlers only between
    bytecodes). This wait runs first, in Python, sleeping in short steps: a missing or
    unreachable peer is an error naming it after `timeout` seconds, and SIGTERM or SIGINT stop
    it at once. A peer's TensorFlow server listens only once its own strategy is made, so while
    waiting this process listens on its own port (connections are accepted and closed at once),
    and frees it just before TensorFlow's server binds it: peers starting together each see
    the others, and one that finishes first is then reached through its TensorFlow server.
    """
    timeout = worker_timeout() if timeout is None else timeout
    kind, index = config["task"]["type"], config["task"]["index"]
    pending = [(job, i, *_host_port(address)) for job, addresses in config["cluster"].items()
               for i, address in enumerate(addresses) if (job, i) != (kind, index)]
    if not pending:
        return
    listener = _listen(_host_port(config["cluster"][kind][index])[1])
    deadline = time.monotonic() + timeout
    try:
        while True:
            pending = [peer for peer in pending if not _reachable(*peer[2:], step)]
            if not pending:
                return
            if time.monotonic() >= deadline:
                job, i, host, port = pending[0]
                raise UsageError(
                    f"multi_worker start-up: {job} {i} ({host}:{port}, TF_CONFIG cluster.{job}"
                    f"[{i}]) did not answer within {timeout:g} s; start every worker, or set "
                    f"{WORKER_TIMEOUT_ENV} to wait longer")
            _drain(listener)
            time.sleep(min(step, max(0.0, deadline - time.monotonic())))
    finally:
        if listener is not None:
            listener.close()


def _listen(port: int) -> socket.socket | None:
    """A listening socket on `port` (all interfaces), or None if it cannot be bound."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", port))
        listener.listen(64)
        listener.setblocking(False)
    except OSError:
        listener.close()
        return None
    return listener


def _drain(listener: socket.socket | None) -> None:
    """Accept and close the peers' probe connections, so that they never fill the backlog."""
    while listener is not None:
        try:
            connection, _ = listener.accept()
        except OSError:  # BlockingIOError: none waiting
            return
        connection.close()


def _reachable(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=max(timeout, 0.05)):
            return True
    except OSError:
        return False


def make_strategy(name: str) -> tf.distribute.Strategy:
    """`default` (one device), `mirrored` (all local GPUs) or `multi_worker` (from TF_CONFIG).
    Make it before any other TensorFlow work: MultiWorkerMirroredStrategy sets up the runtime."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        wait_for_workers(check_tf_config(os.environ.get("TF_CONFIG")))
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise UsageError(f"unknown strategy {name!r}: expected one of {', '.join(STRATEGIES)}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes outputs: a single process, the `chief` task, or worker 0 of a
    cluster without one. The others still save (saving may sync them), to a temporary folder."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type or resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def unreduced_loss(identifier: Any) -> keras.losses.Loss:
    """The compiled loss as a Loss with no reduction: per element, weighted and masked."""
    import keras

    loss = keras.losses.get(identifier)
    if not isinstance(loss, keras.losses.Loss):  # a function: its class has the same defaults
        loss = keras.losses.get("".join(p.title() for p in loss.__name__.split("_")))
    return type(loss).from_config({**loss.get_config(), "reduction": None})


def accuracy_values(y: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """Per-example accuracy, chosen as Keras chooses it for `metrics=["accuracy"]`."""
    import keras

    if y_pred.shape[-1] == 1:
        return keras.metrics.binary_accuracy(y, y_pred)
    if len(y.shape) < len(y_pred.shape) or y.shape[-1] == 1:
        return keras.metrics.sparse_categorical_accuracy(y, y_pred)
    return keras.metrics.categorical_accuracy(y, y_pred)


def with_class_weight(dataset: tf.data.Dataset, class_weight: dict[int, float]) -> tf.data.Dataset:
    """(x, y) -> (x, y, the weight of y's class), as `fit(class_weight=...)` does."""
    import tensorflow as tf

    table = tf.constant([class_weight.get(c, 1.0) for c in range(max(class_weight) + 1)])

    def add(*data: tf.Tensor) -> tuple:
        if len(data) != 2:
            raise ValueError("class_weight needs a dataset of (x, y), without sample weights")
        x, y = data
        if y.shape.rank >= 2 and y.shape[-1] != 1:
            return x, y, tf.gather(table, tf.argmax(y, axis=-1, output_type=tf.int32))
        return x, y, tf.gather(table, tf.cast(tf.round(tf.reshape(y, [-1])), tf.int32))

    return dataset.map(add)


def clipped(grads: list, context: tf.distribute.ReplicaContext, clipnorm: float) -> list:
    """This replica's gradients scaled as `clipnorm` clips their sum over the replicas, which the
    optimizer then all-reduces (its own clipping would clip each replica's part). The norm of an
    Embedding's gradient (IndexedSlices) is that of all replicas' rows, as Keras computes it in
    one process; a dense gradient is all-reduced once more for its norm."""
    import tensorflow as tf

    sparse = [isinstance(g, tf.IndexedSlices) for g in grads]
    dense = [g if g is not None and not s else tf.zeros(())
             for g, s in zip(grads, sparse, strict=True)]
    rows = tf.stack([tf.reduce_sum(tf.square(g.values)) if s else tf.zeros(())
                     for g, s in zip(grads, sparse, strict=True)])
    dense, rows = context.all_reduce("SUM", [dense, rows])
    shares = []
    for i, g in enumerate(grads):
        norm = tf.sqrt(rows[i] if sparse[i] else tf.reduce_sum(tf.square(dense[i])))
        factor = clipnorm / tf.maximum(norm, clipnorm)
        if g is not None:
            g = (tf.IndexedSlices(g.values * factor, g.indices, g.dense_shape) if sparse[i]
                 else g * factor)
        shares.append(g)
    return shares


def distributed_fit(model: keras.Model, train: tf.data.Dataset, val: tf.data.Dataset | None,
                    epochs: int, callbacks: list, strategy: tf.distribute.Strategy,
                    class_weight: dict[int, float] | None = None, initial_epoch: int = 0,
                    verbose: int = 0) -> keras.callbacks.History:
    """`model.fit(train, validation_data=val, ...)` under `strategy`, for a model built and
    compiled inside `strategy.scope()`. Every worker runs it on the same datasets."""
    import keras
    import tensorflow as tf

    loss_fn, replicas, sum_ = unreduced_loss(model.loss), strategy.num_replicas_in_sync, "SUM"
    optimizer, clipnorm = model.optimizer, model.optimizer.clipnorm
    if replicas > 1 and (optimizer.clipvalue or optimizer.global_clipnorm):
        raise ValueError("distributed_fit: with several replicas, clipnorm is the only clipping")
    with strategy.scope():
        if not optimizer.built:  # its variables: made here, not inside the step
            optimizer.build(model.trainable_variables)

    def replica_step(data: Any, training: bool) -> tuple:
        x, y, weight = keras.utils.unpack_x_y_sample_weight(data)
        context = tf.distribute.get_replica_context()
        with tf.GradientTape() as tape:
            y_pred = model(x, training=training)
            values = loss_fn(y, y_pred, sample_weight=weight)
            mask = getattr(y_pred, "_keras_mask", None)  # Keras's mask on a sequence output
            count = tf.size(values) if mask is None else tf.reduce_sum(tf.cast(mask, tf.int32))
            loss = tf.nn.compute_average_loss(tf.reshape(values, [-1]),
                                              global_batch_size=context.all_reduce(sum_, count))
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled = optimizer.scale_loss(loss)
        if training:
            grads = tape.gradient(scaled, model.trainable_variables)
            if replicas > 1 and clipnorm:
                grads = clipped(grads, context, clipnorm)
            optimizer.apply(grads, model.trainable_variables)
        correct = accuracy_values(y, y_pred)
        weights = tf.ones_like(correct) if mask is None else tf.cast(mask, correct.dtype)
        examples = tf.shape(tf.nest.flatten(x)[0])[0]
        return loss, examples, tf.reduce_sum(correct * weights), tf.reduce_sum(weights)

    def make_step(dataset: tf.data.Dataset, training: bool) -> tuple:
        options, policy = tf.data.Options(), tf.data.experimental.AutoShardPolicy
        options.experimental_distribute.auto_shard_policy = policy.DATA  # each worker reads
        batches = strategy.experimental_distribute_dataset(  # every batch, keeps its share
            dataset.with_options(options))

        @tf.function(input_signature=[batches.element_spec])  # one trace for every batch shape
        def step(batch: Any) -> list:
            outputs = strategy.run(replica_step, args=(batch, training))
            return [strategy.reduce(sum_, v, axis=None) for v in outputs]

        return batches, step

    def run_epoch(batches: Any, step: Any, hooks: Any = None) -> dict[str, float]:
        """Keras's epoch logs: the batch losses averaged weighted by batch size, the accuracy
        over all (unmasked) examples; every number summed over the replicas."""
        loss_sum = examples = correct = counted = 0.0
        logs = {"loss": 0.0, "accuracy": 0.0}
        for index, batch in enumerate(batches):
            if hooks:
                hooks.on_train_batch_begin(index)
            loss, n, right, count = (float(v) for v in step(batch))
            loss_sum, examples, correct, counted = (
                loss_sum + loss * n, examples + n, correct + right, counted + count)
            logs = {"loss": loss_sum / max(examples, 1), "accuracy": correct / max(counted, 1)}
            if hooks:
                hooks.on_train_batch_end(index, logs)
        return logs

    train_batches, train_step = make_step(
        with_class_weight(train, class_weight) if class_weight else train, training=True)
    val_batches, val_step = make_step(val, training=False) if val is not None else (None, None)
    callback_list = keras.callbacks.CallbackList(
        callbacks, model=model, add_history=True, add_progbar=verbose != 0, verbose=verbose,
        epochs=epochs, steps=None)
    model.stop_training, logs = False, {}
    if replicas > 1:  # clipped in replica_step instead, while the steps are traced and run
        optimizer.clipnorm = None
    try:
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            logs = run_epoch(train_batches, train_step, callback_list)
            if val_batches is not None:
                logs.update({f"val_{k}": v for k, v in run_epoch(val_batches, val_step).items()})
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callback_list.on_train_end(logs)
    finally:
        optimizer.clipnorm = clipnorm
    return model.history
