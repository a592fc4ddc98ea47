// The event loop and the CPU pool, with times computed by hand.
#include "serve/sim/event_loop.h"

#include <gtest/gtest.h>

#include <vector>

#include "serve/sim/cpu_pool.h"

namespace sl::serve::sim {
namespace {

double NowMs(EventLoop& loop) { return loop.Seconds() * 1000; }

TEST(EventLoopTest, RunsInTimeOrderTiesInScheduleOrderClockAtEachEvent) {
  EventLoop loop;
  std::vector<std::pair<int, double>> seen;
  loop.AfterMs(5, [&] { seen.push_back({1, NowMs(loop)}); });
  loop.AfterMs(2, [&] {
    seen.push_back({2, NowMs(loop)});
    loop.AfterMs(1, [&] { seen.push_back({3, NowMs(loop)}); });   // at 3 ms
    loop.AfterMs(3, [&] { seen.push_back({4, NowMs(loop)}); });   // at 5 ms, after event 1
  });
  loop.Schedule(EventLoop::At(-1), [&] { seen.push_back({5, NowMs(loop)}); });  // the past: now
  EXPECT_EQ(loop.Run(), 5);
  std::vector<std::pair<int, double>> want = {{5, 0}, {2, 2}, {3, 3}, {1, 5}, {4, 5}};
  ASSERT_EQ(seen.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(seen[i].first, want[i].first) << i;
    EXPECT_NEAR(seen[i].second, want[i].second, 1e-9) << i;
  }
  EXPECT_EQ(loop.pending(), 0u);
}

TEST(EventLoopTest, StopLeavesTheRestPending) {
  EventLoop loop;
  int n = 0;
  loop.AfterMs(1, [&] { ++n; loop.Stop(); });
  loop.AfterMs(2, [&] { ++n; });
  EXPECT_EQ(loop.Run(), 1);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(loop.pending(), 1u);
  loop.Run();
  EXPECT_EQ(n, 2);
}

TEST(EventLoopTest, TheClockIsAnSlClockThatOnlyTheLoopMoves) {
  EventLoop loop;
  Clock* c = loop.clock();
  EXPECT_EQ(c->Now().time_since_epoch().count(), 0);
  loop.AfterMs(7.5, [&] { EXPECT_EQ(c->Now().time_since_epoch().count(), 7'500'000); });
  loop.Run();
  EXPECT_EQ(c->Now().time_since_epoch().count(), 7'500'000);
}

TEST(CpuPoolTest, JobsShareTheCoresByProcessorSharing) {
  // 1 core: A (10 ms) at 0, B (10 ms) at 5 ms. A alone for 5 ms (5 done), then both at half speed:
  // A's last 5 ms take 10 → A at 15; B has 5 by then, alone again → B at 20.
  EventLoop loop;
  CpuPool pool(&loop, 1);
  double a = -1, b = -1;
  pool.Run(10, [&] { a = NowMs(loop); });
  loop.AfterMs(5, [&] { pool.Run(10, [&] { b = NowMs(loop); }); });
  loop.Run();
  EXPECT_NEAR(a, 15, 1e-6);
  EXPECT_NEAR(b, 20, 1e-6);
  EXPECT_NEAR(pool.busy_cpu_ms(), 20, 1e-6);
}

TEST(CpuPoolTest, NoSlowdownUntilOversubscribed) {
  // 2 cores, 2 jobs of 6 ms: 6 ms each. 3 jobs of 6 ms: each at 2/3 → all at 9 ms.
  EventLoop loop;
  CpuPool two(&loop, 2);
  std::vector<double> done;
  for (int i = 0; i < 2; ++i) two.Run(6, [&] { done.push_back(NowMs(loop)); });
  loop.Run();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_NEAR(done[0], 6, 1e-6);
  EXPECT_NEAR(done[1], 6, 1e-6);
  EventLoop loop3;
  CpuPool pool3(&loop3, 2);
  std::vector<double> done3;
  for (int i = 0; i < 3; ++i) pool3.Run(6, [&] { done3.push_back(loop3.Seconds() * 1000); });
  loop3.Run();
  ASSERT_EQ(done3.size(), 3u);
  for (double t : done3) EXPECT_NEAR(t, 9, 1e-6);
}

TEST(CpuPoolTest, AFractionOfACoreStretchesAJob) {
  // A function instance with 0.5 vCPU: 10 ms of work take 20 ms.
  EventLoop loop;
  CpuPool pool(&loop, 0.5);
  double t = -1;
  pool.Run(10, [&] { t = NowMs(loop); });
  loop.Run();
  EXPECT_NEAR(t, 20, 1e-6);
}

}  // namespace
}  // namespace sl::serve::sim
