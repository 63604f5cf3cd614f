package org.netvis.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.netvis.engine.run.RunLog;
import org.slf4j.LoggerFactory;

/** Copies the full log (DEBUG and up, with timestamps) into a run's run.log while it runs. */
final class LogbackRunLog implements RunLog {
  @Override
  public AutoCloseable attach(Path file) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level [%thread] %logger{36} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName("run-log");
    appender.setFile(file.toString());
    appender.setEncoder(encoder);
    appender.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Level before = root.getLevel();
    // The file gets DEBUG; the terminal keeps its own threshold.
    root.setLevel(ch.qos.logback.classic.Level.DEBUG);
    root.iteratorForAppenders().forEachRemaining(a -> {
      if (a != appender && a.getCopyOfAttachedFiltersList().isEmpty()) {
        ch.qos.logback.classic.filter.ThresholdFilter f = new ch.qos.logback.classic.filter.ThresholdFilter();
        f.setLevel(NetvisCommand.verbose ? "DEBUG" : "INFO");
        f.start();
        a.addFilter(f);
      }
    });
    root.addAppender(appender);
    return () -> {
      root.detachAppender(appender);
      appender.stop();
      root.setLevel(before);
    };
  }
}
