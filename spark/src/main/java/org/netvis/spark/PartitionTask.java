package org.netvis.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.input.InputLoader;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition on an executor: decode its images with netvis' input pipeline, run every step on
 * them in batches, split arrays and results per image, and commit. Everything is written under an
 * attempt directory first and moved into the run directory only when the whole partition
 * succeeded, file by file, keeping what an earlier attempt already committed: a retried or
 * duplicated task neither loses nor doubles output.
 */
final class PartitionTask implements FlatMapFunction<Iterator<ImageItem>, ResultRow> {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionTask.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Archives read once per executor JVM, by path. */
  private static final Map<String, InputLoader.Loaded> ARCHIVES = new HashMap<>();

  private final JobSpec spec;

  PartitionTask(JobSpec spec) {
    this.spec = spec;
  }

  @Override
  public Iterator<ResultRow> call(Iterator<ImageItem> it) throws Exception {
    List<ImageItem> items = new ArrayList<>();
    it.forEachRemaining(items::add);
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    int attempt = task == null ? 0 : task.attemptNumber();
    Path out = Path.of(spec.out());
    Path attemptDir = out.resolve("_attempts").resolve(partition + "-" + attempt + "-"
        + (task == null ? 0 : task.taskAttemptId()));
    PluginRegistry plugins = ExecutorEngines.plugins();
    ResolvedModel model = ExecutorEngines.model(spec.model());
    Engine engine = ExecutorEngines.engine(spec.model(), shippedGraphs(spec.graphFile()), spec.device(), spec.threads());
    Experiment experiment = ExecutorEngines.experiment(spec.experiment(), spec.overrides());
    InputLoader loader = new InputLoader(model.preprocessing(), experiment.maxPixels());

    List<ResultRow> rows = new ArrayList<>();
    List<ImageItem> good = new ArrayList<>();
    List<Tensor> images = new ArrayList<>();
    List<Long> archiveLabels = new ArrayList<>();
    for (ImageItem item : items) {
      try {
        Decoded d = decode(loader, item);
        good.add(item);
        images.add(d.image());
        archiveLabels.add(d.label());
      } catch (IOException | RuntimeException e) {
        if (spec.failOnBadInput()) {
          throw new IOException("image " + item.id() + (item.file() == null ? "" : " (" + item.file() + ")") + ": "
              + e.getMessage(), e);
        }
        LOG.warn("image {} cannot be read: {}", item.id(), e.getMessage());
        for (int s : spec.steps()) {
          rows.add(new ResultRow(s, experiment.steps().get(s).technique(), item.index(), item.id(), item.label(), -1,
              Map.of(), null, e.getMessage() == null ? e.toString() : e.getMessage()));
        }
      }
    }
    for (int from = 0; from < good.size(); from += spec.batchSize()) {
      int to = Math.min(good.size(), from + spec.batchSize());
      runBatch(experiment, plugins, model, engine, good.subList(from, to), images.subList(from, to),
          archiveLabels.subList(from, to), attemptDir, rows);
    }
    if (spec.failOnce() == partition && attempt == 0) {
      throw new IllegalStateException("test hook: the first attempt of partition " + partition + " fails after writing "
          + attemptDir);
    }
    commit(attemptDir, out);
    return rows.iterator();
  }

  private record Decoded(Tensor image, long label) {}

  /**
   * A companion-graph cache on this executor holding the driver's gradient graph, copied from the
   * file Spark shipped with the job into the layout the engine looks for ({@code HASH/NAME}).
   */
  static synchronized Path shippedGraphs(String graphFile) throws IOException {
    Path relative = Path.of(graphFile);
    Path cache = Path.of(org.apache.spark.SparkFiles.getRootDirectory()).resolve("netvis-graphs");
    Path target = cache.resolve(relative);
    if (!Files.isRegularFile(target)) {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), relative.getFileName().toString(), ".part");
      Files.copy(Path.of(org.apache.spark.SparkFiles.get(relative.getFileName().toString())), tmp,
          StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    return cache;
  }

  private static Decoded decode(InputLoader loader, ImageItem item) throws IOException {
    if (item.encoded() != null) {
      return new Decoded(loader.load(item.encoded(), item.id()), item.label());
    }
    if (item.member() < 0) {
      InputLoader.Loaded l = loader.load(List.of(Path.of(item.file())));
      return new Decoded(l.images(), item.label());
    }
    InputLoader.Loaded archive;
    synchronized (ARCHIVES) {
      archive = ARCHIVES.get(item.file());
      if (archive == null) {
        archive = loader.load(List.of(Path.of(item.file())));
        ARCHIVES.put(item.file(), archive);
      }
    }
    long label = item.label() >= 0 ? item.label() : archive.labels() == null ? -1 : archive.labels()[item.member()];
    return new Decoded(archive.images().slice(item.member(), item.member() + 1), label);
  }

  private void runBatch(Experiment experiment, PluginRegistry plugins, ResolvedModel model, Engine engine,
      List<ImageItem> items, List<Tensor> images, List<Long> givenLabels, Path attemptDir, List<ResultRow> rows)
      throws Exception {
    int n = items.size();
    Tensor batch = Tensor.concat(images);
    Tensor logits = engine.scores(batch);
    long[] labels = new long[n];
    long[] predictions = new long[n];
    int[] indices = new int[n];
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      predictions[i] = ClassScores.argmax(logits, i);
      labels[i] = givenLabels.get(i) >= 0 ? givenLabels.get(i) : predictions[i];
      indices[i] = items.get(i).index();
      names.add(items.get(i).id());
    }
    InputBatch inputs = new InputBatch(batch, labels, names, List.of());
    for (int k = 0; k < spec.steps().size(); k++) {
      int s = spec.steps().get(k);
      Experiment.Step step = experiment.steps().get(s);
      String stepDir = s + "-" + step.technique();
      Path dir = attemptDir.resolve(stepDir).resolve("batches").resolve(String.format("%06d", indices[0]));
      Files.createDirectories(dir);
      Technique<Record> technique = plugins.instantiate(step.technique());
      StepResult result = technique.run(new org.netvis.engine.run.StepEnvironment(engine, model, inputs,
          spec.stepSeeds().get(k), dir, LoggerFactory.getLogger("netvis.step." + step.technique()),
          plugins.attributions(), (task, total) -> org.netvis.engine.spi.Progress.NONE, PartitionTask::checkKilled,
          i -> indices[i]), step.parameters());
      Map<String, Object> values = new LinkedHashMap<>(result.values());
      JSON.writeValue(dir.resolve("results.json").toFile(), values);
      splitArrays(dir, attemptDir.resolve(stepDir).resolve("arrays"), items);
      Map<String, Object> plain = JSON.convertValue(values, Map.class);
      for (int i = 0; i < n; i++) {
        Map<String, Object> share = PerImageResults.share(plain, n, i);
        rows.add(new ResultRow(s, step.technique(), items.get(i).index(), items.get(i).id(), labels[i], predictions[i],
            share == null ? Map.of() : PerImageResults.figures(share), share == null ? null : JSON.writeValueAsString(share),
            null));
      }
    }
  }

  /** A Spark task that was killed (its job cancelled) stops at the technique's next check. */
  private static void checkKilled() {
    TaskContext t = TaskContext.get();
    if (t != null && t.isInterrupted()) {
      throw new java.util.concurrent.CancellationException("the Spark task was killed");
    }
  }

  /** Arrays over the batch (first axis n) become one file per image: arrays/ID/NAME.npy. */
  private static void splitArrays(Path dir, Path arrays, List<ImageItem> items) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".npy")).sorted().toList();
    }
    for (Path f : files) {
      Tensor t;
      try {
        t = Npy.readTensor(f);
      } catch (IOException | RuntimeException e) {
        continue; // not float32: left with the batch
      }
      if (t.rank() == 0 || t.dim(0) != items.size()) {
        continue;
      }
      for (int i = 0; i < items.size(); i++) {
        Path target = arrays.resolve(safe(items.get(i).id())).resolve(f.getFileName().toString());
        Files.createDirectories(target.getParent());
        Npy.write(target, t.slice(i, i + 1));
      }
      Files.delete(f);
    }
  }

  static String safe(String id) {
    return id.replaceAll("[^A-Za-z0-9._\\[\\]-]", "_");
  }

  /** Moves every file of the attempt into place unless an earlier attempt committed it; then removes the attempt. */
  static void commit(Path attemptDir, Path out) throws IOException {
    if (!Files.isDirectory(attemptDir)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(attemptDir)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      Path target = out.resolve(attemptDir.relativize(f).toString());
      Files.createDirectories(target.getParent());
      if (!Files.exists(target)) {
        try {
          Files.move(f, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException e) {
          // another attempt of the same partition got there first with the same content
        }
      }
    }
    try (Stream<Path> s = Files.walk(attemptDir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
