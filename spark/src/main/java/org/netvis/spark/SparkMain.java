package org.netvis.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code netvis spark}: an experiment's per-image steps over its whole input set on Apache Spark. */
@Command(name = "netvis spark", mixinStandardHelpOptions = true,
    description = "Runs an experiment's per-image steps over its inputs on Apache Spark: one Parquet table per step"
        + " (one row per image), arrays per image, a manifest and a report.")
public final class SparkMain implements Callable<Integer> {
  @Parameters(index = "0", description = "the experiment file (YAML or JSON)")
  Path experiment;

  @Option(names = "--master", defaultValue = "local[2]", description = "Spark master URL (default: ${DEFAULT-VALUE})")
  String master;

  @Option(names = "--out", description = "the run directory (default: runs/<timestamp>-<name>-spark)")
  Path out;

  @Option(names = "--partitions", defaultValue = "0", description = "partitions of the data set (default: 2 per core)")
  int partitions;

  @Option(names = "--batch-size", defaultValue = "8", description = "images per gradient batch within a partition")
  int batchSize;

  @Option(names = "--fail-on-bad-input", description = "fail the job on an unreadable image instead of recording an"
      + " error row")
  boolean failOnBadInput;

  @Option(names = "--table", description = "a Parquet table of encoded images (column image; optional label, id)"
      + " to run over instead of the experiment's inputs")
  Path table;

  @Option(names = "--labels-from-folders", paramLabel = "CLASS_LIST", description = "label each image file with"
      + " the class of its folder: CLASS_LIST has one class per line, its first word the folder name"
      + " (ImageNet's LOC_synset_mapping.txt)")
  Path folderLabels;

  @Option(names = "--set", description = "override a key of the experiment (KEY=VALUE), as in netvis run")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Path target = out != null ? out : Path.of("runs", java.time.LocalDateTime.now().format(
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + experiment.getFileName().toString()
        .replaceAll("\\.(ya?ml|json)$", "") + "-spark");
    DatasetJob.Outcome o = DatasetJob.run(experiment, overrides, target,
        new DatasetJob.Options(master, partitions, batchSize, failOnBadInput, Integer.getInteger("netvis.spark.failOnce", -1),
            table, folderLabels));
    System.out.printf("succeeded: %s (%d images, %d unreadable, %.1f s)%n", o.directory(), o.images(), o.errors(),
        o.seconds());
    System.out.printf("report: %s%n", o.directory().resolve(DatasetReport.FILE));
    return 0;
  }

  public static void main(String[] args) {
    // Spark and Hadoop report every stage at INFO; netvis says what matters.
    for (String quiet : new String[] {"org.apache.spark", "org.apache.hadoop", "org.sparkproject", "org.apache.parquet"}) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(quiet)).setLevel(ch.qos.logback.classic.Level.WARN);
    }
    int status = new CommandLine(new SparkMain()).setExecutionExceptionHandler((e, cmd, parse) -> {
      cmd.getErr().println("netvis spark: error: " + (e.getMessage() == null ? e : e.getMessage()));
      return 1;
    }).execute(args);
    System.exit(status);
  }
}
