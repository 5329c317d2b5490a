package org.cellspark.jobs.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --split-groups files as users have them: upstream's split_id_dict written out as JSON (donor IDs
 * as numbers, its "eval" for validation), and a run's own splits.csv (a quoted group holding a
 * comma); and what is refused.
 */
class GroupSplitsTest {
  @TempDir Path tmp;

  private GroupSplits read(String name, String content) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, content);
    return GroupSplits.read(f.toString(), new Configuration());
  }

  @Test
  void upstreamsSplitIdDictAsJson() throws IOException {
    GroupSplits s =
        read(
            "split.json",
            "{\"attr_key\": \"individual\", \"train\": [1447, 1600, \"ab\"],"
                + " \"eval\": [1508], \"test\": [1358]}");
    assertThat(s.column()).isEqualTo("individual");
    assertThat(s.splitOf())
        .containsOnly(
            entry("1447", "train"),
            entry("1600", "train"),
            entry("ab", "train"),
            entry("1508", "validation"),
            entry("1358", "test"));
    assertThat(s.groupColumn(null)).isEqualTo("individual");
    assertThat(s.groupColumn("individual")).isEqualTo("individual");
    assertThatThrownBy(() -> s.groupColumn("donor"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--group donor, but --split-groups")
        .hasMessageContaining("lists groups of individual");
  }

  @Test
  void aRunsOwnSplitsCsvAndATabSeparatedTable() throws IOException {
    GroupSplits s =
        read(
            "splits.csv",
            "group,split,cells\n\"D,1\",train,10\nD2,validation,5\n\"say \"\"D3\"\"\",test,4\n");
    assertThat(s.column()).isNull();
    assertThat(s.splitOf())
        .containsOnly(
            entry("D,1", "train"), entry("D2", "validation"), entry("say \"D3\"", "test"));
    assertThatThrownBy(() -> s.groupColumn(null))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("does not say which column holds the groups")
        .hasMessageContaining("--group");
    assertThat(read("s.tsv", "# donors\nD1\ttrain\nD2\tvalid\n").splitOf())
        .containsOnly(entry("D1", "train"), entry("D2", "validation"));
  }

  @Test
  void whatIsRefusedNamesTheFileAndTheGroup() {
    assertThatThrownBy(() -> read("two.json", "{\"train\": [\"D1\", \"D2\"], \"test\": [\"D2\"]}"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("two.json lists group 'D2' in both train and test");
    assertThatThrownBy(() -> read("odd.csv", "D1,train\nD2,holdout\n"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("odd.csv names a split 'holdout'");
    assertThatThrownBy(() -> read("none.json", "{\"eval\": [\"D1\"]}"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("lists no training group");
    assertThatThrownBy(() -> read("short.csv", "D1,train\nD2\n"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("short.csv line 2 (D2): expected a group and its split");
    assertThatThrownBy(
            () -> GroupSplits.read(tmp.resolve("no.json").toString(), new Configuration()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--split-groups " + tmp.resolve("no.json") + " is not a file");
  }
}
