package org.netvis.engine.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import me.tongfei.progressbar.ProgressBar;
import org.netvis.engine.model.Sha256;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a model or data file with a progress bar and a sha256 check. The file only appears at its
 * final path once complete and verified.
 */
public class Downloader {
  private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);
  private final boolean showProgress;
  private HttpClient client;

  public Downloader(boolean showProgress) {
    this.showProgress = showProgress;
  }

  /**
   * Built on the first download: building one sets up TLS (about 0.15 s at start-up) and a selector
   * thread, and most runs find everything on disk.
   */
  private synchronized HttpClient client() {
    if (client == null) {
      client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
          .connectTimeout(Duration.ofSeconds(10)).build();
    }
    return client;
  }

  /** Downloads {@code url} to {@code target}; fails when the sha256 differs from {@code expectedSha256} (if given). */
  public void download(URI url, Path target, String expectedSha256) throws IOException {
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path partial = target.resolveSibling(target.getFileName() + ".part");
    HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(10)).GET().build();
    HttpResponse<InputStream> response;
    try {
      response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("download of " + url + " interrupted", e);
    }
    if (response.statusCode() != 200) {
      response.body().close();
      throw new IOException("download of " + url + " failed: HTTP " + response.statusCode());
    }
    long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    LOG.info("downloading {} to {}", url, target);
    MessageDigest md = Sha256.digest();
    try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(partial);
        ProgressBar bar = showProgress ? new ProgressBarBuilder().setTaskName(target.getFileName().toString())
            .setInitialMax(length).setStyle(ProgressBarStyle.ASCII).setUnit(" MB", 1 << 20).build() : null) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        md.update(buf, 0, n);
        if (bar != null) {
          bar.stepBy(n);
        }
      }
    } catch (IOException e) {
      Files.deleteIfExists(partial);
      throw e;
    }
    String actual = HexFormat.of().formatHex(md.digest());
    if (expectedSha256 != null && !expectedSha256.isBlank() && !expectedSha256.equalsIgnoreCase(actual)) {
      Files.deleteIfExists(partial);
      throw new IntegrityException("downloaded " + url + " has sha256 " + actual + "; expected " + expectedSha256
          + " (the file was removed)");
    }
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
