// The template process ("zygote", SOCK, USENIX ATC 2018): straightline-worker --zygote execs
// once, pays the static initialisation of everything it links (libtorch: ~0.6 s), then forks one
// child per new function instance on request. A forked child starts from the initialised image:
// it joins its cgroups, redirects stdout/stderr to the pipe it was given, replaces its
// environment, and either runs the built-in runtime loop (run_handler.h) or execs a `bootstrap`.
//
// The template stays single-threaded (fork is only safe from a single-threaded process), reaps
// its children and reports their exits, and kills them all when the platform's end of the
// control socket closes. Protocol: zygote_protocol.h.
#pragma once

#include "runtime/handler_registry.h"

namespace sl::runtime {

// Serves spawn requests on control_fd until it reaches EOF; returns the process exit code.
// Only the forked children return from here into the runtime loop (they never come back).
int RunZygote(int control_fd, const HandlerRegistry& registry);

}  // namespace sl::runtime
