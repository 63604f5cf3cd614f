package org.netvis.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.netvis.engine.report.RunIndex;
import org.netvis.engine.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Writes the HTML index over a directory of runs (and any missing run reports). */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write index.html over a directory of runs, newest first; or report.html for one run directory.")
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", defaultValue = "runs", description = "A directory of runs (default: runs) or one run directory.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    Path out = Files.isRegularFile(dir.resolve("manifest.json")) ? RunReport.write(dir) : RunIndex.write(dir);
    System.out.println("wrote " + out);
    return 0;
  }
}
