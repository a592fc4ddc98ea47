// `straightline train --workers` as a user runs it, and the coordinator killed with SIGKILL in the
// middle of a job, then `--resume`: the job completes with every round applied exactly once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "ml/artifact.h"

namespace sl::train {
namespace {

std::string Binary() {
  const char* dir = std::getenv("STRAIGHTLINE_BINARY_DIR");
  return std::string(dir == nullptr ? "." : dir) + "/straightline";
}

pid_t Spawn(const std::vector<std::string>& args, const std::string& out_file) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(out_file.c_str(), "w", stdout);
    (void)f;
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// The live descendants of `root` (children first found through /proc/PID/task/*/children).
std::vector<pid_t> Descendants(pid_t root) {
  std::vector<pid_t> out, todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(p) + "/task", ec)) {
      auto text = ReadFileToString(task.path().string() + "/children");
      if (!text.ok()) continue;
      std::istringstream in(*text);
      for (pid_t c; in >> c;) {
        out.push_back(c);
        todo.push_back(c);
      }
    }
  }
  return out;
}

// State letter and parent of `pid` from /proc/PID/stat; state 0 once it is gone.
std::pair<char, pid_t> StateOf(pid_t pid) {
  auto stat = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return {0, 0};
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) return {0, 0};
  std::istringstream in(stat->substr(close + 2));
  char state = 0;
  pid_t ppid = 0;
  in >> state >> ppid;
  return {state, ppid};
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(TrainCli, CoordinatorKilledMidJobResumesWithEveryRoundOnce) {
  TempDir dir("train-cli");
  const std::string root = dir.Join("store");
  const std::string uri = "file://" + root;
  const std::string out = dir.Join("model");
  pid_t pid = Spawn({Binary(), "train", "--dataset", "fashion-mnist", "--model", "cnn", "--limit", "2000",
                     "--workers", "2", "--epochs", "2", "--rounds-per-epoch", "4", "--store", uri, "--out", out,
                     "--quiet", "--json"},
                    dir.Join("first.json"));
  ASSERT_GT(pid, 0);
  // Kill -9 once two rounds are checkpointed, while the job is still running.
  bool killed_running = false;
  std::vector<pid_t> descendants;
  for (int i = 0; i < 2400; ++i) {
    auto cp = ReadFileToString(root + "/checkpoint.json");
    if (cp.ok()) {
      auto j = nlohmann::json::parse(*cp, nullptr, false);
      if (j.is_object() && j.value("next_round", 0) >= 2) {
        killed_running = waitpid(pid, nullptr, WNOHANG) == 0;
        descendants = Descendants(pid);  // the template process and its instances
        kill(pid, SIGKILL);
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(killed_running) << "the job finished (or died) before it could be killed";
  EXPECT_EQ(Wait(pid), 128 + SIGKILL);
  EXPECT_FALSE(ReadFileToString(out + "/manifest.json").ok());
  // The coordinator's template process and instances end with it (the template reads EOF on its
  // socket, kills and reaps its instances, and exits). None stays running, and none is left
  // unreaped by a process of this test: an orphan is its reaper's (init's) to collect.
  EXPECT_FALSE(descendants.empty());
  std::set<pid_t> ours{getpid(), pid};
  ours.insert(descendants.begin(), descendants.end());
  std::vector<std::string> lingering;
  for (int i = 0; i < 400; ++i) {  // up to 10 s for the template's own shutdown
    lingering.clear();
    for (pid_t d : descendants) {
      const auto [state, ppid] = StateOf(d);
      if (state == 0) continue;
      if (state == 'Z' && ours.count(ppid) == 0) continue;  // gone as far as we can tell
      lingering.push_back(fmt::format("{} (state {}, parent {})", d, state, ppid));
    }
    if (lingering.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(lingering.empty()) << fmt::format("{}", fmt::join(lingering, ", "));

  pid_t again = Spawn({Binary(), "train", "--resume", uri, "--quiet", "--json"}, dir.Join("resumed.json"));
  ASSERT_EQ(Wait(again), 0);
  auto text = ReadFileToString(dir.Join("resumed.json"));
  ASSERT_TRUE(text.ok());
  auto report = nlohmann::json::parse(*text, nullptr, false);
  ASSERT_TRUE(report.is_object()) << *text;
  // Eight rounds, each exactly once, in order; the ones before the kill come from the checkpoint.
  const auto& rounds = report["record"]["rounds"];
  ASSERT_EQ(rounds.size(), 8u);
  for (int r = 0; r < 8; ++r) EXPECT_EQ(rounds[r]["round"], r);
  EXPECT_EQ(report["artifact"], out);
  auto artifact = ml::ReadArtifact(out);
  ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
  EXPECT_GT(report["test_accuracy"].get<double>(), 0.5);
  // What a resume needed is gone once the job finished (by default), and the report says what is left.
  EXPECT_FALSE(std::filesystem::exists(root + "/updates/r0000"));
  EXPECT_FALSE(std::filesystem::exists(root + "/shards/shard-0000.bin"));
  EXPECT_TRUE(std::filesystem::exists(root + "/models/v0008.weights"));
  EXPECT_GT(report["store_bytes"].get<int64_t>(), 0);
}

// Issue 17: a job whose functions run out of memory stops; resuming it with more memory finishes
// it (the functions are deployed again at the new size) instead of failing the same way.
TEST(TrainCli, AJobOutOfMemoryResumesAtALargerMemorySize) {
  TempDir dir("train-cli-oom");
  const std::string uri = "file://" + dir.Join("store");
  // 128 MB cannot hold Fashion-MNIST decoded (a preprocessing function loads all of it).
  pid_t p = Spawn({Binary(), "train", "--dataset", "fashion-mnist", "--model", "logreg", "--limit", "2000",
                   "--workers", "2", "--epochs", "1", "--rounds-per-epoch", "4", "--memory", "128", "--max-retries", "0", "--store", uri,
                   "--quiet", "--json"},
                  dir.Join("first.json"));
  ASSERT_EQ(Wait(p), 1);
  p = Spawn({Binary(), "train", "--resume", uri, "--memory", "1024", "--quiet", "--json"}, dir.Join("resumed.json"));
  ASSERT_EQ(Wait(p), 0);
  auto text = ReadFileToString(dir.Join("resumed.json"));
  ASSERT_TRUE(text.ok());
  auto report = nlohmann::json::parse(*text, nullptr, false);
  ASSERT_TRUE(report.is_object()) << *text;
  EXPECT_EQ(report["record"]["memory_mb"], 1024);
  EXPECT_EQ(report["record"]["rounds"].size(), 4u);
}

TEST(TrainCli, BadServerlessFlagsAreClearErrors) {
  TempDir dir("train-cli-bad");
  pid_t p = Spawn({Binary(), "train", "--workers", "2", "--memory", "lots", "--store", "file://" + dir.Join("s")},
                  dir.Join("o"));
  EXPECT_EQ(Wait(p), 2);
  p = Spawn({Binary(), "train", "--workers", "2", "--inject-fault", "explode:1"}, dir.Join("o"));
  EXPECT_EQ(Wait(p), 2);
  p = Spawn({Binary(), "train", "--resume", "file://" + dir.Join("nothing-here")}, dir.Join("o"));
  EXPECT_EQ(Wait(p), 1);
  // A resumed job takes a new size in MB, not a new plan.
  p = Spawn({Binary(), "train", "--resume", "file://" + dir.Join("nothing-here"), "--memory", "auto"}, dir.Join("o"));
  EXPECT_EQ(Wait(p), 2);
  p = Spawn({Binary(), "train", "--workers", "2", "--keep-rounds", "some", "--store", "file://" + dir.Join("k")},
            dir.Join("o"));
  EXPECT_EQ(Wait(p), 2);
}

}  // namespace
}  // namespace sl::train
