package io.eventworker.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;

/**
 * The Docker engine Testcontainers would use, asked only what it has: whether it answers and
 * whether an image is present or can be pulled. It never starts a container, so asking costs no
 * Ryuk and no retried pulls.
 */
final class DockerImages {

  private static final long PULL_TIMEOUT_SECONDS = 300;

  private final DockerClient client;

  private DockerImages(DockerClient client) {
    this.client = client;
  }

  /** The engine, or null when none answers. */
  static DockerImages ofEngine() {
    // Not DockerClientFactory.isDockerAvailable(): that builds Testcontainers' own client, which
    // starts Ryuk first and retries its pull for minutes where the image cannot be had.
    try {
      DockerClient client =
          DockerClientProviderStrategy.getClientForConfig(
              DockerClientFactory.instance().getTransportConfig());
      client.pingCmd().exec();
      return new DockerImages(client);
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  /**
   * True if {@code image} is present, or was pulled now; a registry that cannot be reached answers
   * at once.
   */
  boolean presentOrPulled(String image) {
    try {
      client.inspectImageCmd(image).exec();
      return true;
    } catch (DockerException absent) {
      return pull(image);
    }
  }

  private boolean pull(String image) {
    int colon = image.lastIndexOf(':');
    try {
      return client
          .pullImageCmd(image.substring(0, colon))
          .withTag(image.substring(colon + 1))
          .start()
          .awaitCompletion(PULL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (DockerException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
