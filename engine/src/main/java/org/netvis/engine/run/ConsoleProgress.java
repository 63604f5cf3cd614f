package org.netvis.engine.run;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.netvis.engine.spi.Progress;

/** A progress bar on the terminal (stderr); nothing when output is not a terminal. */
final class ConsoleProgress implements Progress {
  private final ProgressBar bar;
  private final Runnable cancelCheck;

  private ConsoleProgress(ProgressBar bar, Runnable cancelCheck) {
    this.bar = bar;
    this.cancelCheck = cancelCheck;
  }

  static Progress create(boolean terminal, String task, long total, Runnable cancelCheck) {
    if (!terminal) {
      return new Progress() {
        @Override
        public void step() {
          cancelCheck.run();
        }

        @Override
        public void close() {}
      };
    }
    ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
        .build();
    return new ConsoleProgress(bar, cancelCheck);
  }

  @Override
  public void step() {
    cancelCheck.run();
    bar.step();
  }

  @Override
  public void close() {
    bar.close();
  }
}
