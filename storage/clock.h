// Wall-clock time in milliseconds since the Unix epoch: the unit of every deadline Latchkey stores.
//
// Commands take the time once (a snapshot, as Redis does) and pass it down, so one command sees one
// instant. Thread-safe.
#pragma once

#include <cstdint>

namespace latchkey {

// Milliseconds since the Unix epoch, from the system's real-time clock.
int64_t NowMs();

// Microseconds since the Unix epoch (for TIME and latency figures).
int64_t NowUs();

// A monotonic reading in microseconds, for measuring durations only.
int64_t MonotonicUs();
int64_t MonotonicNs();

}  // namespace latchkey
