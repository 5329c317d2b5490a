package org.cellspark.infer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeviceTurnsTest {
  @AfterEach
  void clear() {
    DeviceTurns.clear();
  }

  @Test
  void aLimitedDeviceLetsThatManyBatchesRunAndTheNextWait() throws InterruptedException {
    Device gpu = Device.gpu(7);
    DeviceTurns.limit(gpu, 2);
    DeviceTurns.limit(gpu, 5); // the first limit stays
    DeviceTurns.Turn first = DeviceTurns.take(gpu);
    DeviceTurns.Turn second = DeviceTurns.take(gpu);
    CountDownLatch third = new CountDownLatch(1);
    Thread waiting =
        new Thread(
            () -> {
              DeviceTurns.Turn t = DeviceTurns.take(gpu);
              third.countDown();
              t.close();
            });
    waiting.start();
    // Two turns are out: the third waits (it cannot count down while it does).
    assertThat(third.await(300, TimeUnit.MILLISECONDS)).isFalse();
    first.close();
    assertThat(third.await(30, TimeUnit.SECONDS)).isTrue();
    second.close();
    waiting.join();
  }

  @Test
  void aDeviceWithoutALimitNeverWaits() {
    DeviceTurns.limit(Device.gpu(1), 1);
    Device other = Device.gpu(0);
    DeviceTurns.Turn a = DeviceTurns.take(other);
    DeviceTurns.Turn b = DeviceTurns.take(other);
    DeviceTurns.Turn c = DeviceTurns.take(Device.cpu());
    a.close();
    b.close();
    c.close();
    // The limited device's single turn is still free: nothing above took it.
    DeviceTurns.take(Device.gpu(1)).close();
  }
}
