#include "cli/shutdown_signal.h"
#include "common/clock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace sl::cli {
namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t n = write(g_signal_pipe[1], &b, 1);
  (void)n;
  errno = saved;
}

}  // namespace

Status InstallShutdownSignalHandlers() {
  if (g_signal_pipe[0] < 0 && pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
    return ErrnoError(errno, "signal pipe");
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, nullptr) != 0 || sigaction(SIGTERM, &sa, nullptr) != 0) {
    return ErrnoError(errno, "sigaction(SIGINT/SIGTERM)");
  }
  return Status::Ok();
}

int WaitForShutdownSignal() {
  unsigned char b = 0;
  while (true) {
    ssize_t n = read(g_signal_pipe[0], &b, 1);
    if (n == 1) return b;
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

DrainGate::DrainGate(HttpHandler inner) : inner_(std::move(inner)) {}

HttpHandler DrainGate::Handler() {
  return [self = shared_from_this()](HttpRequest&& request, HttpResponder respond) {
    self->Handle(std::move(request), std::move(respond));
  };
}

void DrainGate::Handle(HttpRequest&& request, HttpResponder respond) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!draining_) {
      ++in_flight_;
    } else {
      HttpResponse r = HttpResponse::Json(503, R"({"error":"the server is shutting down"})");
      r.headers.Set("Connection", "close");
      r.headers.Set("Retry-After", "1");
      respond(std::move(r));
      return;
    }
  }
  // Counted out exactly once, when the inner handler answers (now or later, any thread).
  auto self = shared_from_this();
  auto answered = std::make_shared<std::once_flag>();
  auto done = [self, answered] {
    std::call_once(*answered, [&self] {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        --self->in_flight_;
      }
      self->cv_.notify_all();
    });
  };
  HttpResponder counted = [respond = std::move(respond), done](HttpResponse r) mutable {
    respond(std::move(r));
    done();
  };
  try {
    inner_(std::move(request), std::move(counted));
  } catch (...) {
    done();  // the server answers 500 for a handler that throws
    throw;
  }
}

int DrainGate::Drain(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  cv_.wait_until(lock, Clock::Real()->Now() + grace, [this] { return in_flight_ == 0; });
  return in_flight_;
}

int DrainGate::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

}  // namespace sl::cli
